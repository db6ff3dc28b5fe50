"""The events workflows emit: records synced, runs started and finished, status changes, record errors."""

from __future__ import annotations

from ekyam.events.catalog import INT, STR, EventType, object_schema

_SYNC_PROPS = {
    "workflow_id": INT,
    "run_id": INT,
    "connection_id": INT,
    "key": {**STR, "description": "Stable Ekyam key of the record, e.g. netsuite:itemFulfillment:123."},
    "record": {"type": "object", "description": "The record in its Ekyam Data Standard."},
}


def _run_event(name: str, status: str, description: str) -> EventType:
    return EventType(
        name,
        description,
        object_schema(
            {"workflow_id": INT, "run_id": INT, "status": STR, "counts": {"type": "object"}, "error": STR},
            ["workflow_id", "run_id", "status"],
        ),
        {"workflow_id": 12, "run_id": 3401, "status": status, "counts": {"read": 50, "written": 49, "failed": 1}},
    )


EVENT_TYPES = [
    EventType(
        "product.synced",
        "A product was written to its destination by a workflow run.",
        object_schema(_SYNC_PROPS, ["key", "record"]),
        {
            "workflow_id": 7,
            "run_id": 88,
            "key": "netsuite:item:1042",
            "record": {"sku": "TEE-BLK-M", "name": "Tee black M"},
        },
    ),
    EventType(
        "shipment.synced",
        "A shipment was written to the fulfillment system by a workflow run.",
        object_schema(_SYNC_PROPS, ["key", "record"]),
        {
            "workflow_id": 5,
            "run_id": 91,
            "key": "netsuite:itemFulfillment:123",
            "record": {"order_number": "SO-1001", "lines": [{"sku": "TEE-BLK-M", "quantity": 2}]},
        },
    ),
    _run_event("workflow.run.started", "running", "A workflow run started."),
    _run_event("workflow.run.succeeded", "succeeded", "A workflow run finished without failed records."),
    _run_event("workflow.run.failed", "failed", "A workflow run failed or finished with failed records."),
    EventType(
        "workflow.status.changed",
        "A workflow was activated, paused (by a person or by itself after repeated failures) or resumed.",
        object_schema(
            {"workflow_id": INT, "status": STR, "previous_status": STR, "reason": STR}, ["workflow_id", "status"]
        ),
        {"workflow_id": 12, "status": "paused", "previous_status": "active", "reason": "5 consecutive failed runs"},
    ),
    EventType(
        "record_error.created",
        "A record failed to map or write in a workflow run.",
        object_schema(
            {"workflow_id": INT, "run_id": INT, "record_error_id": INT, "key": STR, "stage": STR, "message": STR},
            ["run_id", "message"],
        ),
        {
            "workflow_id": 5,
            "run_id": 91,
            "record_error_id": 777,
            "key": "netsuite:itemFulfillment:124",
            "stage": "mapping",
            "message": "lines[0].sku is required",
        },
    ),
]
