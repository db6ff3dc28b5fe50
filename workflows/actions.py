"""State changes of workflows. Views, the API, admin actions, tasks and consumers call these.

Every change happens in one transaction with the events it causes; Celery tasks are queued and live
status is pushed only after that transaction commits.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.mapping.actions import ensure_default_mapping
from workflows import conf, lifecycle, live, mappings, scheduling
from workflows.blueprints import get_blueprint
from workflows.locking import lock_run
from workflows.models import (
    INCREMENTAL_TRIGGERS,
    Lineage,
    NodeKind,
    RecordError,
    RecordErrorStatus,
    Run,
    RunStatus,
    ScheduleKind,
    Trigger,
    Workflow,
    WorkflowEdge,
    WorkflowNode,
)

log = logging.getLogger(__name__)


# --- status ------------------------------------------------------------------------------------------------

# Shared with the engine, so they live in `lifecycle`; views, the API and the admin call them from here.
refresh_status = lifecycle.refresh_status
pause_workflow = lifecycle.pause_workflow


def refresh_statuses_using_connection(organization_id: int, connection_id: int | None) -> int:
    """A connection went offline or came back: its workflows' signs follow at once, not at the next
    periodic refresh."""
    workflows = Workflow.objects.filter(organization_id=organization_id, nodes__connection_id=connection_id).distinct()
    for workflow in workflows:
        with transaction.atomic():
            refresh_status(workflow)
    return len(workflows)


def refresh_all_statuses() -> int:
    """Catch status changes caused outside the workflows (a connection going offline)."""
    changed = 0
    for workflow in Workflow.objects.all().iterator():
        with transaction.atomic():
            before = workflow.status_state, workflow.status_reason
            refresh_status(workflow)
            changed += (workflow.status_state, workflow.status_reason) != before
    return changed


# --- creating and editing ------------------------------------------------------------------------------------


def _ensure_mapping(connection, stream: str, direction: str):
    if connection is None:
        return None
    mapping = ensure_default_mapping(connection, stream, direction)
    return mapping.pk if mapping else None


def _check_mapping(organization, mapping_id: int | None) -> None:
    """A workflow pins only its own organization's mappings (the API checks it first; this holds for
    every other caller too)."""
    if mapping_id is not None and not mappings.belongs_to(mapping_id, organization):
        raise ValueError(f"Mapping {mapping_id} not found.")


@transaction.atomic
def create_workflow(
    organization,
    *,
    name: str,
    source_connection=None,
    source_stream: str = "",
    destination_connection=None,
    destination_stream: str = "",
    standard: str = "",
    sync_label: str = "Sync",
    read_mapping_id: int | None = None,
    write_mapping_id: int | None = None,
    builtin_destination: str = "",
    blueprint: str = "",
    description: str = "",
    enabled: bool = False,
    schedule_kind: str = ScheduleKind.NONE,
    interval_seconds: int | None = None,
    cron: str = "",
    timezone_name: str = "UTC",
    realtime: bool = False,
    event_types: list[str] | None = None,
    page_size: int = 100,
) -> Workflow:
    """A three-node diagram: source → sync step → destination."""
    for connection in (source_connection, destination_connection):
        if connection is not None and connection.organization_id != organization.pk:
            raise ValueError("Connections must belong to the workflow's organization.")
    for mapping_id in (read_mapping_id, write_mapping_id):
        _check_mapping(organization, mapping_id)
    scheduling.validate_schedule(schedule_kind, interval_seconds, cron, timezone_name)
    workflow = Workflow.objects.create(
        organization=organization,
        name=name,
        description=description,
        blueprint=blueprint,
        enabled=enabled,
        schedule_kind=schedule_kind,
        interval_seconds=interval_seconds,
        cron=cron,
        timezone=timezone_name,
        realtime=realtime,
        event_types=list(event_types or []),
        page_size=page_size,
    )
    source_label = f"{source_connection.name} · {source_stream}" if source_connection else "Source"
    if builtin_destination:
        destination_label = "Ekyam · Shipment record"
    else:
        destination_label = (
            f"{destination_connection.name} · {destination_stream}" if destination_connection else "Destination"
        )
    source = WorkflowNode.objects.create(
        workflow=workflow, key="source", kind=NodeKind.SOURCE, label=source_label,
        connection=source_connection, stream=source_stream, x=40, y=60,
    )  # fmt: skip
    sync = WorkflowNode.objects.create(
        workflow=workflow, key="sync", kind=NodeKind.SYNC, label=sync_label, standard=standard,
        read_mapping_id=read_mapping_id, write_mapping_id=write_mapping_id, x=300, y=60,
    )  # fmt: skip
    destination = WorkflowNode.objects.create(
        workflow=workflow, key="destination", kind=NodeKind.DESTINATION, label=destination_label,
        connection=destination_connection, stream=destination_stream, builtin=builtin_destination, x=560, y=60,
    )  # fmt: skip
    WorkflowEdge.objects.create(workflow=workflow, source=source, target=sync, label=f"{source_stream} → {standard}")
    WorkflowEdge.objects.create(
        workflow=workflow, source=sync, target=destination, label=f"{standard} → {destination_stream}"
    )
    scheduling.sync_periodic_task(workflow)
    refresh_status(workflow)
    return workflow


@transaction.atomic
def create_from_blueprint(
    organization, slug: str, *, source_connection, destination_connection=None, name: str | None = None, **options
) -> Workflow:
    """One step from a template to a runnable workflow, with the vendors' default mappings."""
    blueprint = get_blueprint(slug)
    if source_connection.connector_type != blueprint.source_connector:
        raise ValueError(f"{blueprint.name} reads from a {blueprint.source_connector} connection.")
    if blueprint.destination_connector and (
        destination_connection is None or destination_connection.connector_type != blueprint.destination_connector
    ):
        raise ValueError(f"{blueprint.name} writes to a {blueprint.destination_connector} connection.")
    options.setdefault(
        "schedule_kind", ScheduleKind.INTERVAL if blueprint.schedule_interval_seconds else ScheduleKind.NONE
    )
    options.setdefault("interval_seconds", blueprint.schedule_interval_seconds)
    options.setdefault("realtime", bool(blueprint.event_types))
    options.setdefault("event_types", list(blueprint.event_types))
    options.setdefault("read_mapping_id", _ensure_mapping(source_connection, blueprint.source_stream, "read"))
    if blueprint.destination_connector:
        options.setdefault(
            "write_mapping_id", _ensure_mapping(destination_connection, blueprint.destination_stream, "write")
        )
    return create_workflow(
        organization,
        name=name or blueprint.name,
        blueprint=blueprint.slug,
        description=blueprint.description,
        source_connection=source_connection,
        source_stream=blueprint.source_stream,
        destination_connection=None if blueprint.builtin_destination else destination_connection,
        destination_stream=blueprint.destination_stream,
        standard=blueprint.standard,
        sync_label=blueprint.sync_label,
        builtin_destination=blueprint.builtin_destination,
        **options,
    )


SCHEDULE_FIELDS = ("schedule_kind", "interval_seconds", "cron", "timezone")
EDITABLE_FIELDS = (
    "name",
    "description",
    *SCHEDULE_FIELDS,
    "realtime",
    "event_types",
    "page_size",
    "max_consecutive_failures",
)


@transaction.atomic
def update_workflow(workflow: Workflow, **changes) -> Workflow:
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    for field, value in changes.items():
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"{field} cannot be changed here.")
        setattr(workflow, field, value)
    scheduling.validate_schedule(workflow.schedule_kind, workflow.interval_seconds, workflow.cron, workflow.timezone)
    workflow.save()
    scheduling.sync_periodic_task(workflow)
    refresh_status(workflow)
    return workflow


@transaction.atomic
def update_node(node: WorkflowNode, **changes) -> WorkflowNode:
    allowed = {"label", "connection", "stream", "read_mapping_id", "write_mapping_id", "x", "y"}
    for field, value in changes.items():
        if field not in allowed:
            raise ValueError(f"{field} cannot be changed on a node.")
        if field == "connection" and value is not None and value.organization_id != node.workflow.organization_id:
            raise ValueError("Connections must belong to the workflow's organization.")
        if field in ("read_mapping_id", "write_mapping_id"):
            _check_mapping(node.workflow.organization, value)
        setattr(node, field, value)
    node.save()
    refresh_status(node.workflow)
    return node


@transaction.atomic
def delete_workflow(workflow: Workflow) -> None:
    scheduling.delete_periodic_task(workflow)
    workflow.delete()


@transaction.atomic
def resume_workflow(workflow: Workflow) -> Workflow:
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    workflow.enabled, workflow.paused_reason, workflow.consecutive_failures = True, "", 0
    workflow.save(update_fields=["enabled", "paused_reason", "consecutive_failures", "updated_at"])
    scheduling.sync_periodic_task(workflow)
    refresh_status(workflow)
    return workflow


# --- runs ------------------------------------------------------------------------------------------------------


@transaction.atomic
def request_run(workflow: Workflow, trigger: str = Trigger.MANUAL, params: dict | None = None) -> Run:
    """Queue a run. A trigger arriving while an equivalent run is still queued merges into it."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    params = dict(params or {})
    queued = Run.objects.filter(workflow=workflow, status=RunStatus.QUEUED)
    if trigger in INCREMENTAL_TRIGGERS:
        existing = queued.filter(trigger__in=INCREMENTAL_TRIGGERS).order_by("pk").first()
        if existing is not None:
            return existing
    if trigger == Trigger.EVENT:
        existing = queued.filter(trigger=Trigger.EVENT).order_by("pk").first()
        if existing is not None:
            ids = list(dict.fromkeys([*existing.params.get("record_ids", []), *params.get("record_ids", [])]))
            existing.params = {**existing.params, "record_ids": ids}
            existing.save(update_fields=["params"])
            return existing
    run = Run.objects.create(
        organization_id=workflow.organization_id, workflow=workflow, trigger=trigger, params=params
    )
    live.push_on_commit(workflow.pk)
    lifecycle.queue_run_on_commit(run.pk)
    return run


def run_now(workflow: Workflow) -> Run:
    return request_run(workflow, Trigger.MANUAL)


def backfill(workflow: Workflow, since) -> Run:
    return request_run(workflow, Trigger.BACKFILL, {"since": str(since)})


def scheduled_run(workflow_id: int) -> Run | None:
    workflow = Workflow.objects.filter(pk=workflow_id, enabled=True).first()
    return request_run(workflow, Trigger.SCHEDULE) if workflow else None


@transaction.atomic
def cancel_run(run: Run) -> Run:
    """Queued runs cancel at once; running ones stop at the next batch boundary."""
    _workflow, run = lock_run(run.pk)
    if run.status == RunStatus.QUEUED:
        run.status, run.finished_at = RunStatus.CANCELLED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
    elif run.status == RunStatus.RUNNING:
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
    live.push_on_commit(run.workflow_id)
    return run


def _event_fields(event: dict) -> tuple[int | None, str, dict]:
    """The envelope of a bus event, tolerant of the producer's field names."""
    organization_id = event.get("organization_id") or event.get("organization")
    payload = event.get("data") if isinstance(event.get("data"), dict) else event.get("payload") or {}
    return organization_id, event.get("type", ""), payload


def trigger_from_event(event: dict) -> list[Run]:
    """A bus event (e.g. `inventory.updated` from a Whiplash webhook) → targeted runs of matching workflows.

    Matching: same organization, enabled, real-time on, the event type listed, and the event coming from
    the workflow's source connection. Events a workflow itself emitted (they carry `workflow_id`) are ignored
    so a sync never triggers itself."""
    organization_id, event_type, payload = _event_fields(event)
    if not organization_id or not event_type or payload.get("workflow_id"):
        return []
    if event_type == "connection.status.changed":
        refresh_statuses_using_connection(organization_id, payload.get("connection_id"))
        return []
    record_ids = [str(i) for i in payload.get("record_ids") or []]
    connection_id = payload.get("connection_id")
    runs = []
    candidates = Workflow.objects.filter(organization_id=organization_id, enabled=True, realtime=True)
    if connection_id:
        candidates = candidates.filter(nodes__kind=NodeKind.SOURCE, nodes__connection_id=connection_id)
    for workflow in candidates.distinct():
        if event_type not in (workflow.event_types or []):
            continue
        trigger = Trigger.EVENT if record_ids else Trigger.EVENT_SYNC
        runs.append(request_run(workflow, trigger, {"record_ids": record_ids, "event_id": event.get("event_id")}))
    return runs


def requeue_stale_runs() -> list[int]:
    """Runs whose worker died (no checkpoint for STALE_AFTER) resume elsewhere; lost dispatches are resent."""
    cutoff = timezone.now() - timedelta(seconds=conf.STALE_AFTER_SECONDS)
    requeued = []
    # A handed-back batch waits without a heartbeat until `retry_at`; it is stale only when its task has not
    # come for STALE_AFTER past that moment.
    candidates = Run.objects.filter(
        Q(retry_at__isnull=True) | Q(retry_at__lt=cutoff), status=RunStatus.RUNNING, heartbeat_at__lt=cutoff
    ).order_by("pk")
    for run_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            # The engine's lock order (workflow, then run), skipping rows a claim or a finish holds right now.
            locked = lock_run(run_id, skip_locked=True)
            if locked is None:
                continue
            _workflow, run = locked
            if run.status != RunStatus.RUNNING or run.heartbeat_at is None or run.heartbeat_at >= cutoff:
                continue  # it checkpointed (or finished) since the candidates were listed
            if run.retry_at is not None and run.retry_at >= cutoff:
                continue  # handed back since: its task is on its way
            run.status, run.lease = RunStatus.QUEUED, ""
            run.save(update_fields=["status", "lease"])
            requeued.append(run.pk)
            live.push_on_commit(run.workflow_id)
            lifecycle.queue_run_on_commit(run.pk)
    # Queued runs of idle workflows whose task message got lost: dispatching twice is harmless.
    idle = Run.objects.filter(status=RunStatus.QUEUED, queued_at__lt=cutoff).exclude(
        workflow__runs__status=RunStatus.RUNNING
    )
    for run in idle.order_by("pk"):
        if run.pk not in requeued:
            lifecycle.queue_run(run.pk)
    return requeued


# --- record errors -------------------------------------------------------------------------------------------


def retry_record_errors(errors: list[RecordError], *, edited_payload: dict | None = None) -> Run | None:
    """Retry one or many record errors of one workflow in a run of their own (optionally with edited data)."""
    errors = [e for e in errors if e.status == RecordErrorStatus.OPEN]
    if not errors:
        return None
    workflows = {e.workflow_id for e in errors}
    if len(workflows) != 1:
        raise ValueError("Retry record errors of one workflow at a time.")
    with transaction.atomic():
        # The workflow row first: the engine's lock order (workflow, run, record errors).
        Workflow.objects.select_for_update().filter(pk=errors[0].workflow_id).first()
        if edited_payload is not None:
            if len(errors) != 1:
                raise ValueError("Edited data applies to a single record error.")
            RecordError.objects.filter(pk=errors[0].pk).update(edited_payload=edited_payload)
        return request_run(errors[0].workflow, Trigger.RETRY, {"record_error_ids": [e.pk for e in errors]})


@transaction.atomic
def resolve_record_errors(errors: list[RecordError]) -> int:
    ids = [e.pk for e in errors]
    count = RecordError.objects.filter(pk__in=ids, status=RecordErrorStatus.OPEN).update(
        status=RecordErrorStatus.RESOLVED, resolution="manual", resolved_at=timezone.now()
    )
    for workflow_id in {e.workflow_id for e in errors}:
        live.push_on_commit(workflow_id)
    return count


# --- lineage --------------------------------------------------------------------------------------------------


def search_lineage(organization, query: str, *, limit: int = 200):
    """Every lineage row on the path of a record, found by any id or key it had in any system.

    Follows hops: a NetSuite fulfillment → its Whiplash order (forward flow) → the tracking that came back
    (reverse flow, whose destination is the forward row's source key)."""
    query = (query or "").strip()
    if not query:
        return Lineage.objects.none()
    base = Lineage.objects.filter(organization=organization)
    found_ids: set[int] = set()
    terms = {query}
    for _hop in range(3):
        match = Q(source_id__in=terms) | Q(destination_id__in=terms) | Q(source_key__in=terms)
        rows = list(base.filter(match).exclude(pk__in=found_ids)[:limit])
        if not rows:
            break
        found_ids.update(r.pk for r in rows)
        terms = {t for r in rows for t in (r.source_id, r.destination_id, r.source_key) if t}
    return base.filter(pk__in=found_ids).select_related("workflow").order_by("pk")
