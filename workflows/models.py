"""Workflows are diagrams (nodes + edges) the engine runs; everything that runs leaves a row.

- `Workflow`: name, enabled, triggers (schedule kept as a django-celery-beat PeriodicTask, real-time events),
  the self-pause policy and the last derived status (kept only to notice changes; the truth is derived).
- `WorkflowNode` / `WorkflowEdge`: source (connection + stream) → sync step (read + write mapping) →
  destination (connection + stream, or Ekyam's own shipment ledger for tracking flowing back).
- `Run`: one execution with its trigger, pinned mapping versions, lease, checkpoint and counts.
- `RecordError`: one failing source record (one open row per workflow and trace key).
- `Lineage`: source record → destination record; also the idempotency ledger.
- `RecordOutcome`: what a run did with one record (written, updated, unchanged, failed) and why.
- `StreamCursor`: where incremental reads of a workflow's source stream resume.

Mapping references are stored as plain ids (`read_mapping_id`, `…_version_id`): the mapping app is a sibling
and a mapping's deletion must not erase run history. `workflows.mappings` resolves them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone as dj_timezone

from ekyam.tenancy import OrgOwned


class ScheduleKind(models.TextChoices):
    NONE = "none", "No schedule"
    INTERVAL = "interval", "Every N seconds"
    CRON = "cron", "Cron expression"


class Workflow(OrgOwned):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    blueprint = models.CharField(max_length=60, blank=True, default="", help_text="Template it was created from.")
    enabled = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=300, blank=True, default="")

    schedule_kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.NONE)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    cron = models.CharField(max_length=120, blank=True, default="", help_text='e.g. "*/15 * * * *"')
    timezone = models.CharField(max_length=64, default="UTC")
    realtime = models.BooleanField(default=False, help_text="Start a targeted sync on matching Ekyam events.")
    event_types = models.JSONField(
        default=list, blank=True, help_text='Ekyam event types that start a targeted sync, e.g. ["inventory.updated"].'
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    page_size = models.PositiveIntegerField(default=100)
    max_consecutive_failures = models.PositiveSmallIntegerField(
        default=3, help_text="Pause the workflow after this many failed runs in a row (0: never)."
    )
    consecutive_failures = models.PositiveSmallIntegerField(default=0)

    status_state = models.CharField(max_length=20, default="not_configured")
    status_reason = models.CharField(max_length=300, blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="workflow_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    def node(self, kind: str) -> WorkflowNode | None:
        return next((n for n in self.nodes.all() if n.kind == kind), None)

    INCOMPLETE_DIAGRAM = "The workflow diagram needs a source connection, a sync step and a destination."

    def runnable_nodes(self) -> tuple[WorkflowNode, WorkflowNode, WorkflowNode] | None:
        """The source, sync step and destination, connections loaded; None when the diagram cannot run (a node
        is missing, or the source has no connection): see `INCOMPLETE_DIAGRAM`."""
        nodes = {n.kind: n for n in self.nodes.select_related("connection")}
        source, sync, destination = (nodes.get(kind) for kind in (NodeKind.SOURCE, NodeKind.SYNC, NodeKind.DESTINATION))
        if not (source and sync and destination) or source.connection is None:
            return None
        return source, sync, destination


class NodeKind(models.TextChoices):
    SOURCE = "source", "Source"
    SYNC = "sync", "Sync step"
    DESTINATION = "destination", "Destination"


class Builtin(models.TextChoices):
    NONE = "", "A connection"
    SHIPMENT_LEDGER = "shipment_ledger", "Ekyam shipment ledger (tracking back to the Shipment)"


class WorkflowNode(models.Model):
    organization_path = "workflow__organization"  # how `ekyam.tenancy.scoped` reaches the organization
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="nodes")
    key = models.SlugField(max_length=40)
    kind = models.CharField(max_length=12, choices=NodeKind.choices)
    label = models.CharField(max_length=120)
    connection = models.ForeignKey(
        "connectors.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="workflow_nodes"
    )
    stream = models.CharField(max_length=60, blank=True, default="")
    builtin = models.CharField(max_length=30, choices=Builtin.choices, blank=True, default="")
    standard = models.CharField(max_length=40, blank=True, default="")
    read_mapping_id = models.BigIntegerField(null=True, blank=True)
    write_mapping_id = models.BigIntegerField(null=True, blank=True)
    x = models.IntegerField(default=0)
    y = models.IntegerField(default=0)

    class Meta:
        ordering = ["workflow", "x", "pk"]
        constraints = [models.UniqueConstraint(fields=["workflow", "key"], name="workflow_node_key_unique")]

    def __str__(self) -> str:
        return f"{self.workflow_id}:{self.key}"


class WorkflowEdge(models.Model):
    organization_path = "workflow__organization"
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(WorkflowNode, on_delete=models.CASCADE, related_name="out_edges")
    target = models.ForeignKey(WorkflowNode, on_delete=models.CASCADE, related_name="in_edges")
    label = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        ordering = ["workflow", "pk"]

    def __str__(self) -> str:
        return f"{self.source.key} → {self.target.key}"


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"
    BACKFILL = "backfill", "Backfill"
    EVENT = "event", "Real-time event"
    # An event that names no records (the vendor only said "something changed"): an incremental sync.
    EVENT_SYNC = "event_sync", "Real-time event (incremental)"
    RETRY = "retry", "Record retry"
    PLAN = "plan", "Apply a reviewed plan"
    RECONCILE = "reconcile", "Reconciliation corrections"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partially succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.CANCELLED)
INCREMENTAL_TRIGGERS = (Trigger.SCHEDULE, Trigger.MANUAL, Trigger.EVENT_SYNC)


class Run(OrgOwned):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # Targeted runs: {"record_ids": [...]}; backfills: {"since": "2024-01-01"}; retries: {"record_error_ids": [...]}.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    read_mapping_version_id = models.BigIntegerField(null=True, blank=True)
    write_mapping_version_id = models.BigIntegerField(null=True, blank=True)

    queued_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker holding the run renews `heartbeat_at`; a run whose heartbeat is old is stale and resumes
    # elsewhere under a new `lease`, which makes the old holder's next checkpoint fail and stop.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease = models.CharField(max_length=40, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker started it.")
    checkpoint = models.TextField(null=True, blank=True, help_text="Source cursor after the last durable batch.")
    batches = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    # A batch that failed transiently is handed back to the checkpoint: the run keeps its place (status
    # running, no lease) and its task is queued again to start at `retry_at`; `retries` counts the hand-backs
    # since the last batch that made progress (bounded by EKYAM_WORKFLOW_RETRY_ATTEMPTS).
    retry_at = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)

    read_count = models.PositiveIntegerField(default=0)
    mapped_count = models.PositiveIntegerField(default=0)
    written_count = models.PositiveIntegerField(default=0)
    # Records the destination already had exactly so (each has a `RecordOutcome` saying why).
    skipped_count = models.PositiveIntegerField(default=0, verbose_name="unchanged count")
    updated_count = models.PositiveIntegerField(default=0, help_text="Of the written records, how many existed.")
    failed_count = models.PositiveIntegerField(default=0)
    requests_count = models.PositiveIntegerField(default=0)
    error_summary = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["workflow", "status"], name="run_workflow_status"),
            # The latest run per workflow (status signs, the API's last_run) without scanning history.
            models.Index(fields=["workflow", "-id"], name="run_latest_per_workflow"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of workflow {self.workflow_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def throughput(self) -> float | None:
        """Records handled per second (written + skipped + failed) over the run's active time."""
        if not self.started_at:
            return None
        end = self.finished_at or dj_timezone.now()
        seconds = max((end - self.started_at).total_seconds(), 0.001)
        return round((self.written_count + self.skipped_count + self.failed_count) / seconds, 2)


class ErrorClass(models.TextChoices):
    AUTH = "auth", "Authentication"
    RATE_LIMIT = "rate_limit", "Rate limit"
    VALIDATION = "validation", "Validation"
    CONFLICT = "conflict", "Conflict"
    TRANSIENT = "transient", "Transient"
    PERMANENT = "permanent", "Permanent"


class RecordErrorStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class RecordError(OrgOwned):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="record_errors")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="record_errors")
    trace_key = models.CharField(max_length=200, help_text="Stable key of the source record, e.g. netsuite:…:123")
    error_class = models.CharField(max_length=12, choices=ErrorClass.choices)
    stage = models.CharField(max_length=20, help_text="read_mapping, write_mapping or write")
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    source_payload = models.JSONField(help_text="The source record as read, for retries.")
    edited_payload = models.JSONField(null=True, blank=True, help_text="A corrected source record to retry with.")
    status = models.CharField(max_length=10, choices=RecordErrorStatus.choices, default=RecordErrorStatus.OPEN)
    occurrences = models.PositiveIntegerField(default=1)
    resolution = models.CharField(max_length=20, blank=True, default="", help_text="auto, manual")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["workflow", "trace_key", "status"], name="recorderror_trace")]

    def __str__(self) -> str:
        return f"{self.trace_key}: {self.message[:60]}"

    @property
    def source_payload_json(self) -> str:
        """The record to edit before a retry: the last edit if any, else the source record."""
        import json

        return json.dumps(self.edited_payload if self.edited_payload is not None else self.source_payload, indent=2)


class Lineage(OrgOwned):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="lineage")
    run = models.ForeignKey(Run, null=True, on_delete=models.SET_NULL, related_name="+")
    source_key = models.CharField(max_length=200)
    source_system = models.CharField(max_length=40)
    source_id = models.CharField(max_length=200, db_index=True)
    destination_system = models.CharField(max_length=40)
    destination_stream = models.CharField(max_length=60, blank=True, default="")
    destination_id = models.CharField(max_length=200, blank=True, default="", db_index=True)
    read_mapping_version_id = models.BigIntegerField(null=True, blank=True)
    write_mapping_version_id = models.BigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, help_text="Hash of the last payload written: unchanged → skip.")
    action = models.CharField(max_length=12, default="created")
    details = models.JSONField(default=dict, blank=True, help_text="e.g. tracking flowing back")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "lineage record"
        constraints = [models.UniqueConstraint(fields=["workflow", "source_key"], name="lineage_one_per_source")]

    def __str__(self) -> str:
        return f"{self.source_key} → {self.destination_system}:{self.destination_id}"


class OutcomeKind(models.TextChoices):
    WRITTEN = "written", "Written"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    FAILED = "failed", "Failed"


class RecordOutcome(OrgOwned):
    """What one run did with one source record, and the reason in words (`workflows.outcomes` builds it)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outcomes")
    source_key = models.CharField(max_length=200)
    outcome = models.CharField(max_length=10, choices=OutcomeKind.choices)
    reason = models.CharField(max_length=500)
    destination_system = models.CharField(max_length=40, blank=True, default="")
    destination_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["run", "outcome"], name="outcome_run_kind"),
            models.Index(fields=["organization", "source_key"], name="outcome_source_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source_key}: {self.outcome}"


class StreamCursor(OrgOwned):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=60)
    cursor = models.TextField(null=True, blank=True)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "stream"], name="cursor_one_per_stream")]

    def __str__(self) -> str:
        return f"{self.workflow_id}:{self.stream}"
