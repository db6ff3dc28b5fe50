"""Reconciliation reports and dry-run plans: rows with their items, kept and listed.

- `ReconcileSettings`: per workflow, the optional Beat schedule (off by default) and the drift alert
  thresholds (count of drifted records, absolute units).
- `Job` / `Item` (abstract): what reports and plans and their items share — the workflow, the worker's
  progress, the outcome and the applying run; the record as read and mapped, the destination as read, the
  prepared write and how applying it went.
- `Reconciliation` / `ReconciliationItem`: one comparison of the source's and the destination's current
  state for the workflow's stream, with per-record outcomes and the corrections it could apply.
- `Plan` / `PlanItem`: one dry run of the flow: per source record, the write it would make.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ekyam.tenancy import OrgOwned


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ApplyStatus(models.TextChoices):
    NONE = "", "Not applied"
    APPLIED = "applied", "Applied"
    UNCHANGED = "unchanged", "Already right"
    REFUSED = "refused", "Refused: the destination changed since it was read"
    FAILED = "failed", "Failed"


class ReconcileSettings(OrgOwned):
    workflow = models.OneToOneField("workflows.Workflow", on_delete=models.CASCADE, related_name="reconcile_settings")
    schedule_enabled = models.BooleanField(default=False)
    interval_seconds = models.PositiveIntegerField(default=86400)
    apply_on_schedule = models.BooleanField(default=False, help_text="Scheduled reports also apply corrections.")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drift_count_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Alert when more records than this drifted."
    )
    drift_units_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Alert when the drift adds up to more units than this (absolute)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "reconciliation settings"

    def __str__(self) -> str:
        return f"Reconciliation settings of workflow {self.workflow_id}"


class Job(OrgOwned):
    """What a reconciliation report and a dry-run plan share: the workflow, the worker's progress (renewed
    heartbeat, read requests), the outcome and the run that applied it."""

    workflow: models.ForeignKey  # each kind names its own reverse accessor (workflow.reconciliations, .plans)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    requests_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    apply_run = models.ForeignKey("workflows.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Renewed with every page of progress.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-pk"]
        indexes = [models.Index(fields=["workflow", "-id"], name="%(class)s_latest")]

    @property
    def running(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name.capitalize()} {self.pk} of workflow {self.workflow_id} ({self.status})"


class Reconciliation(Job):
    workflow = models.ForeignKey("workflows.Workflow", on_delete=models.CASCADE, related_name="reconciliations")
    trigger = models.CharField(max_length=10, default="manual", help_text="manual or schedule")
    apply = models.BooleanField(default=False, help_text="Apply the corrections when the report is ready.")
    since = models.CharField(max_length=40, blank=True, default="", help_text="Only source records since (ISO).")
    standard = models.CharField(max_length=40, blank=True, default="")
    source_stream = models.CharField(max_length=60, blank=True, default="")
    destination_stream = models.CharField(max_length=60, blank=True, default="")
    phase = models.CharField(max_length=30, blank=True, default="")
    source_read = models.PositiveIntegerField(default=0)
    destination_read = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict, blank=True)
    drifted_count = models.PositiveIntegerField(default=0)
    net_units = models.IntegerField(default=0, help_text="Σ (destination − source) over drifted records.")
    absolute_units = models.PositiveIntegerField(default=0, help_text="Σ |destination − source|.")
    alerted = models.BooleanField(default=False)


class ItemStatus(models.TextChoices):
    IN_SYNC = "in_sync", "In sync"
    DRIFTED = "drifted", "Drifted"
    MISSING_IN_DESTINATION = "missing_destination", "Missing in the destination"
    MISSING_IN_SOURCE = "missing_source", "Missing in the source"
    UNMAPPED = "unmapped", "Unmapped"
    ERROR = "error", "Error"


class Item(models.Model):
    """What a report's and a plan's items share: the source record as read and mapped, the destination
    as read (compared again on apply), the prepared write and how applying it went."""

    key = models.CharField(max_length=200)
    source_id = models.CharField(max_length=200, blank=True, default="")
    destination_id = models.CharField(max_length=200, blank=True, default="")
    diff = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, default="")
    payload = models.JSONField(null=True, blank=True)
    source_payload = models.JSONField(null=True, blank=True)
    standard_record = models.JSONField(null=True, blank=True)
    state = models.JSONField(null=True, blank=True)
    apply_status = models.CharField(max_length=10, choices=ApplyStatus.choices, blank=True, default="")
    apply_message = models.TextField(blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["pk"]


class ReconciliationItem(Item):
    report = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="items")
    status = models.CharField(max_length=20, choices=ItemStatus.choices)
    key = models.CharField(max_length=200, blank=True, default="", help_text="The source record's Ekyam key.")
    label = models.CharField(max_length=300, blank=True, default="")
    source_value = models.JSONField(null=True, blank=True)
    destination_value = models.JSONField(null=True, blank=True)
    units = models.IntegerField(null=True, blank=True, help_text="destination − source, for quantities")
    payload = models.JSONField(null=True, blank=True, help_text="The correction: what the writer would send.")
    state = models.JSONField(null=True, blank=True, help_text="The destination as read: compared on apply.")
    last_written_at = models.DateTimeField(null=True, blank=True)
    last_run_id = models.BigIntegerField(null=True, blank=True)

    class Meta(Item.Meta):
        indexes = [models.Index(fields=["report", "status"], name="reconciliation_item_status")]

    def __str__(self) -> str:
        return f"{self.label or self.key}: {self.status}"


class Plan(Job):
    workflow = models.ForeignKey("workflows.Workflow", on_delete=models.CASCADE, related_name="plans")
    since = models.CharField(max_length=40, blank=True, default="", help_text="A backfill date; blank: the cursor.")
    start_cursor = models.TextField(null=True, blank=True)
    end_cursor = models.TextField(null=True, blank=True)
    read_mapping_version_id = models.BigIntegerField(null=True, blank=True)
    write_mapping_version_id = models.BigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    read_count = models.PositiveIntegerField(default=0)
    create_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)


class PlanAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    ERROR = "error", "Error"


class PlanItem(Item):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    action = models.CharField(max_length=10, choices=PlanAction.choices)
    stage = models.CharField(max_length=20, blank=True, default="", help_text="read_mapping, write_mapping, write")
    payload = models.JSONField(null=True, blank=True, help_text="Exactly what applying the plan sends.")
    state = models.JSONField(null=True, blank=True, help_text="The destination as planned against.")

    class Meta(Item.Meta):
        indexes = [models.Index(fields=["plan", "action"], name="plan_item_action")]

    def __str__(self) -> str:
        return f"{self.key}: {self.action}"
