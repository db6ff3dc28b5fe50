"""The catalog of every event Ekyam emits: dotted type, version, JSON Schema of `data`, example.

Endpoints subscribe to these types; `GET /api/v1/event-types/` lists them. An event's body on the
wire is `{"type", "timestamp", "data"}` where `data` follows the schema below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    schema: dict
    example: dict
    version: int = 1

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def as_dict(self) -> dict:
        return {
            "type": self.name,
            "version": self.version,
            "group": self.group,
            "description": self.description,
            "schema": self.schema,
            "example": self.example,
        }


def _object(properties: dict, required: list[str]) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
    }


INT = {"type": "integer"}
STR = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
INT_OR_NULL = {"type": ["integer", "null"]}

_SYNC_PROPS = {
    "workflow_id": INT,
    "run_id": INT,
    "connection_id": INT,
    "key": {**STR, "description": "Stable Ekyam key of the record, e.g. netsuite:itemFulfillment:123."},
    "record": {"type": "object", "description": "The record in its Ekyam Data Standard."},
}

_INBOUND_PROPS = {
    "inbound_webhook_id": {**INT, "description": "The stored vendor webhook this event came from."},
    "connection_id": INT,
    "vendor": STR,
    "topic": {**STR, "description": "The vendor's own webhook topic."},
    "record_ids": {"type": "array", "items": STR},
    "data": {"type": "object"},
}


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


def _run_event(name: str, status: str, description: str) -> EventType:
    return EventType(
        name,
        description,
        _object(
            {"workflow_id": INT, "run_id": INT, "status": STR, "counts": {"type": "object"}, "error": STR},
            ["workflow_id", "run_id", "status"],
        ),
        {"workflow_id": 12, "run_id": 3401, "status": status, "counts": {"read": 50, "written": 49, "failed": 1}},
    )


EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in [
        EventType(
            "product.synced",
            "A product was written to its destination by a workflow run.",
            _object(_SYNC_PROPS, ["key", "record"]),
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
            _object(_SYNC_PROPS, ["key", "record"]),
            {
                "workflow_id": 5,
                "run_id": 91,
                "key": "netsuite:itemFulfillment:123",
                "record": {"order_number": "SO-1001", "lines": [{"sku": "TEE-BLK-M", "quantity": 2}]},
            },
        ),
        EventType(
            "shipment.shipped",
            "The fulfillment system reported a shipment as shipped (with tracking).",
            _object(_INBOUND_PROPS, ["connection_id", "vendor"]),
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
            _object(_INBOUND_PROPS, ["connection_id", "vendor"]),
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
            _object(_INBOUND_PROPS, ["connection_id", "vendor"]),
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
            _object(_INBOUND_PROPS, ["connection_id", "vendor"]),
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
            "inventory.reconciled",
            "A reconciliation corrected an inventory level that had drifted (compare-and-set against the value read).",
            _object(_RECONCILED_PROPS, ["reconciliation_id", "source_key"]),
            {
                "workflow_id": 9,
                "run_id": 412,
                "reconciliation_id": 31,
                "connection_id": 6,
                "source_key": "whiplash:inventory:1042",
                "label": "TEE-BLK-M @ Main Warehouse",
                "source_value": 41,
                "previous_value": 37,
                "destination": {
                    "system": "shopify",
                    "id": "gid://shopify/InventoryItem/9001@gid://shopify/Location/1001",
                },
            },
        ),
        EventType(
            "shipment.reconciled",
            "A reconciliation corrected an order in the fulfillment system that had drifted from its shipment.",
            _object(_RECONCILED_PROPS, ["reconciliation_id", "source_key"]),
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
        _run_event("workflow.run.started", "running", "A workflow run started."),
        _run_event("workflow.run.succeeded", "succeeded", "A workflow run finished without failed records."),
        _run_event("workflow.run.failed", "failed", "A workflow run failed or finished with failed records."),
        EventType(
            "workflow.status.changed",
            "A workflow was activated, paused (by a person or by itself after repeated failures) or resumed.",
            _object(
                {"workflow_id": INT, "status": STR, "previous_status": STR, "reason": STR}, ["workflow_id", "status"]
            ),
            {"workflow_id": 12, "status": "paused", "previous_status": "active", "reason": "5 consecutive failed runs"},
        ),
        EventType(
            "connection.status.changed",
            "A connection's check result changed (verified, failed, offline).",
            _object(
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
        EventType(
            "record_error.created",
            "A record failed to map or write in a workflow run.",
            _object(
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
        EventType(
            "webhook.endpoint.disabled",
            "A webhook endpoint was disabled (410 Gone, continuous failures, or by a person).",
            _object({"endpoint_id": INT, "url": STR, "reason": STR}, ["endpoint_id", "reason"]),
            {"endpoint_id": 3, "url": "https://example.com/hooks", "reason": "failing for 5 days"},
        ),
        EventType(
            "webhook.message.dead_lettered",
            "A webhook message exhausted its retries and moved to the dead-letter queue.",
            _object(
                {
                    "dead_letter_id": INT,
                    "endpoint_id": INT,
                    "event_id": STR,
                    "event_type": STR,
                    "reason": STR,
                    "attempts": INT,
                },
                ["dead_letter_id", "endpoint_id", "event_id", "reason"],
            ),
            {
                "dead_letter_id": 19,
                "endpoint_id": 3,
                "event_id": "3f2a9a8e-1c1f-4f55-9d7b-5bb0c0a0d111",
                "event_type": "shipment.synced",
                "reason": "8 attempts failed; last: HTTP 500",
                "attempts": 8,
            },
        ),
        EventType(
            "webhook.test",
            "A test event sent from the developer portal to check an endpoint.",
            _object({"message": STR, "endpoint_id": INT}, ["message"]),
            {"message": "Hello from Ekyam", "endpoint_id": 3},
        ),
    ]
}

# Events about delivery itself are never delivered to an endpoint by a failure of that endpoint,
# otherwise one dead endpoint would feed itself an endless chain of dead-letter events.
DELIVERY_META_TYPES = frozenset({"webhook.message.dead_lettered", "webhook.endpoint.disabled"})


def get_event_type(name: str) -> EventType | None:
    return EVENT_TYPES.get(name)


def list_event_types() -> list[dict]:
    return [e.as_dict() for e in EVENT_TYPES.values()]


def type_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in EVENT_TYPES]
