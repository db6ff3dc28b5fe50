"""The events connectors emit: what vendors report through their webhooks, and connection checks."""

from __future__ import annotations

from ekyam.events.catalog import INT, STR, EventType, object_schema

_INBOUND_PROPS = {
    "inbound_webhook_id": {**INT, "description": "The stored vendor webhook this event came from."},
    "connection_id": INT,
    "vendor": STR,
    "topic": {**STR, "description": "The vendor's own webhook topic."},
    "record_ids": {"type": "array", "items": STR},
    "data": {"type": "object"},
}

EVENT_TYPES = [
    EventType(
        "shipment.shipped",
        "The fulfillment system reported a shipment as shipped (with tracking).",
        object_schema(_INBOUND_PROPS, ["connection_id", "vendor"]),
        {
            "inbound_webhook_id": 317,
            "connection_id": 4,
            "vendor": "whiplash",
            "topic": "order.shipped",
            "record_ids": ["55012"],
            "data": {"tracking": ["1Z999AA10123456784"], "carrier": "UPS"},
        },
    ),
    EventType(
        "inventory.updated",
        "An inventory level changed at a location.",
        object_schema(_INBOUND_PROPS, ["connection_id", "vendor"]),
        {
            "inbound_webhook_id": 318,
            "connection_id": 4,
            "vendor": "whiplash",
            "topic": "inventory.updated",
            "record_ids": ["TEE-BLK-M"],
            "data": {"sku": "TEE-BLK-M", "quantity": 41},
        },
    ),
    EventType(
        "product.updated",
        "A vendor reported a product change (inbound webhook).",
        object_schema(_INBOUND_PROPS, ["connection_id", "vendor"]),
        {
            "inbound_webhook_id": 319,
            "connection_id": 6,
            "vendor": "shopify",
            "topic": "products/update",
            "record_ids": ["8123"],
            "data": {"title": "Tee"},
        },
    ),
    EventType(
        "order.updated",
        "A vendor reported an order change (inbound webhook).",
        object_schema(_INBOUND_PROPS, ["connection_id", "vendor"]),
        {
            "inbound_webhook_id": 320,
            "connection_id": 4,
            "vendor": "whiplash",
            "topic": "order.updated",
            "record_ids": ["55012"],
            "data": {"status": 100},
        },
    ),
    EventType(
        "connection.status.changed",
        "A connection's check result changed (verified, failed, offline).",
        object_schema(
            {"connection_id": INT, "connector": STR, "status": STR, "previous_status": STR, "reason": STR},
            ["connection_id", "status"],
        ),
        {
            "connection_id": 4,
            "connector": "whiplash",
            "status": "offline",
            "previous_status": "verified",
            "reason": "HTTP 503 from the vendor for 15 minutes",
        },
    ),
]
