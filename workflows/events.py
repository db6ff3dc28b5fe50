"""The Ekyam events the workflows emit (always inside the transaction of the change they describe)."""

from __future__ import annotations

import logging

from django.db import transaction

from ekyam.alerts import actions as alerts
from ekyam.events.outbox import emit

log = logging.getLogger(__name__)

# A written record of this standard emits this event type.
RECORD_EVENTS = {"shipment": "shipment.synced", "inventory_level": "inventory.updated", "product": "product.synced"}


def workflow_key(workflow) -> str:
    return f"workflow:{workflow.pk}"


def run_event(run, event_type: str) -> None:
    emit(
        run.organization,
        event_type,
        {
            "workflow_id": run.workflow_id,
            "run_id": run.pk,
            "trigger": run.trigger,
            "status": run.status,
            "counts": {
                "read": run.read_count,
                "mapped": run.mapped_count,
                "written": run.written_count,
                "updated": run.updated_count,
                "unchanged": run.skipped_count,
                "skipped": run.skipped_count,
                "failed": run.failed_count,
            },
            "error_summary": run.error_summary,
        },
        key=f"workflow:{run.workflow_id}",
    )


def status_changed(workflow, previous: str, status: dict) -> None:
    emit(
        workflow.organization,
        "workflow.status.changed",
        {
            "workflow_id": workflow.pk,
            "name": workflow.name,
            "previous_state": previous,
            "state": status["state"],
            "reason": status["reason"],
        },
        key=workflow_key(workflow),
    )


def record_error_created(error) -> None:
    emit(
        error.organization,
        "record_error.created",
        {
            "record_error_id": error.pk,
            "workflow_id": error.workflow_id,
            "run_id": error.run_id,
            "trace_key": error.trace_key,
            "class": error.error_class,
            "message": error.message,
        },
        key=f"record:{error.trace_key}",
    )


def record_written(run, event_type: str | None, source_key: str, data: dict) -> None:
    """The event of a record a run wrote (synced or reconciled); none when its standard has no event type."""
    if event_type is None:
        return
    # `workflow_id` marks the event as the outcome of a sync, so the trigger consumer never loops on it.
    emit(
        run.organization,
        event_type,
        {"workflow_id": run.workflow_id, "run_id": run.pk, **data},
        key=f"record:{source_key}",
    )


def record_synced(run, standard: str, *, source_key: str, destination: dict, record: dict, connection_id) -> None:
    record_written(
        run,
        RECORD_EVENTS.get(standard),
        source_key,
        {"connection_id": connection_id, "source_key": source_key, "destination": destination, "record": record},
    )


def raise_alert(workflow, title: str, reason: str) -> None:
    """The alert of a workflow that paused itself."""
    try:
        # A savepoint: a failing alert must not roll back the run's final state and the pause.
        with transaction.atomic():
            alerts.raise_alert(workflow.organization, "workflow_paused", title, reason, f"/workflows/{workflow.pk}/")
    except Exception:
        log.exception("Could not raise the alert for paused workflow %s", workflow.pk)
