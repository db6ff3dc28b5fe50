"""The events reconciliation emits: a drifted record corrected (compare-and-set against the value read)."""

from __future__ import annotations

from ekyam.events.catalog import INT, STR, EventType, object_schema

_RECONCILED_PROPS = {
    "workflow_id": INT,
    "run_id": INT,
    "reconciliation_id": {**INT, "description": "The report whose correction this is."},
    "connection_id": INT,
    "source_key": STR,
    "label": STR,
    "source_value": {"description": "The source's value (what was written)."},
    "previous_value": {"description": "The destination's value the report read (what was replaced)."},
    "destination": {"type": "object"},
    "record": {"type": ["object", "null"], "description": "The record in its Ekyam Data Standard."},
}

EVENT_TYPES = [
    EventType(
        "inventory.reconciled",
        "A reconciliation corrected an inventory level that had drifted (compare-and-set against the value read).",
        object_schema(_RECONCILED_PROPS, ["reconciliation_id", "source_key"]),
        {
            "workflow_id": 9,
            "run_id": 412,
            "reconciliation_id": 31,
            "connection_id": 6,
            "source_key": "whiplash:inventory:1042",
            "label": "TEE-BLK-M @ Main Warehouse",
            "source_value": 41,
            "previous_value": 37,
            "destination": {"system": "shopify", "id": "gid://shopify/InventoryItem/9001@gid://shopify/Location/1001"},
        },
    ),
    EventType(
        "shipment.reconciled",
        "A reconciliation corrected an order in the fulfillment system that had drifted from its shipment.",
        object_schema(_RECONCILED_PROPS, ["reconciliation_id", "source_key"]),
        {
            "workflow_id": 5,
            "run_id": 413,
            "reconciliation_id": 32,
            "connection_id": 4,
            "source_key": "netsuite:shipments:123",
            "label": "IF-123",
            "source_value": "pending",
            "previous_value": "Processing",
            "destination": {"system": "whiplash", "id": "55012"},
        },
    ),
]
