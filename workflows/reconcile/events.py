"""The events reconciliation emits (inside the transaction of the change they describe)."""

from __future__ import annotations

from ekyam.events.outbox import emit

# A correction of a record of this standard emits this event type.
RECONCILED_EVENTS = {"inventory_level": "inventory.reconciled", "shipment": "shipment.reconciled"}


def reconciled(run, standard: str, *, report_id: int, item, destination: dict, connection_id) -> None:
    event_type = RECONCILED_EVENTS.get(standard)
    if event_type is None:
        return
    emit(
        run.organization,
        event_type,
        {
            # `workflow_id` marks the event as the outcome of a sync, so the trigger consumer never loops on it.
            "workflow_id": run.workflow_id,
            "run_id": run.pk,
            "reconciliation_id": report_id,
            "connection_id": connection_id,
            "source_key": item.key,
            "label": item.label,
            "source_value": item.source_value,
            "previous_value": item.destination_value,
            "destination": destination,
            "record": item.standard_record,
        },
        key=f"record:{item.key}",
    )
