"""The events about webhook delivery itself."""

from __future__ import annotations

from ekyam.events.catalog import INT, STR, EventType, object_schema

EVENT_TYPES = [
    EventType(
        "webhook.endpoint.disabled",
        "A webhook endpoint was disabled (410 Gone, continuous failures, or by a person).",
        object_schema({"endpoint_id": INT, "url": STR, "reason": STR}, ["endpoint_id", "reason"]),
        {"endpoint_id": 3, "url": "https://example.com/hooks", "reason": "failing for 5 days"},
    ),
    EventType(
        "webhook.message.dead_lettered",
        "A webhook message exhausted its retries and moved to the dead-letter queue.",
        object_schema(
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
        object_schema({"message": STR, "endpoint_id": INT}, ["message"]),
        {"message": "Hello from Ekyam", "endpoint_id": 3},
    ),
]

# Events about delivery itself are never delivered to an endpoint by a failure of that endpoint,
# otherwise one dead endpoint would feed itself an endless chain of dead-letter events.
DELIVERY_META_TYPES = frozenset({"webhook.message.dead_lettered", "webhook.endpoint.disabled"})
