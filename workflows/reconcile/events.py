"""The events reconciliation emits (inside the transaction of the change they describe)."""

from __future__ import annotations

from workflows.events import record_written

# A correction of a record of this standard emits this event type.
RECONCILED_EVENTS = {"inventory_level": "inventory.reconciled", "shipment": "shipment.reconciled"}


def reconciled(run, standard: str, *, report_id: int, item, destination: dict, connection_id) -> None:
    record_written(
        run,
        RECONCILED_EVENTS.get(standard),
        item.key,
        {
            "reconciliation_id": report_id,
            "connection_id": connection_id,
            "source_key": item.key,
            "label": item.label,
            "source_value": item.source_value,
            "previous_value": item.destination_value,
            "destination": destination,
            "record": item.standard_record,
        },
    )
