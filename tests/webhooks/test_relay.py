"""The relay's batch handling on both implementations (the one-statement PostgreSQL claim and the
ORM path), with a producer that records what it is given. The real broker path is covered by
test_pipeline.py; here the broker's answer is chosen, so a refused batch can be checked exactly."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import transaction

from ekyam.events import kafka
from ekyam.events.models import OutboxEvent
from ekyam.events.outbox import emit
from ekyam.events.relay import PublishFailed, relay_once

pytestmark = pytest.mark.django_db


class RecordingProducer:
    """Accepts messages like confluent-kafka's Producer; `acknowledge` decides the broker's answer."""

    def __init__(self, acknowledge: bool = True):
        self.acknowledge = acknowledge
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.callbacks = []

    def produce(self, topic, key, value, on_delivery):
        self.sent.append((topic, key, value))
        self.callbacks.append(on_delivery)

    def poll(self, timeout):
        return 0

    def flush(self, timeout):
        for callback in self.callbacks:
            callback(None if self.acknowledge else "broker refused", None)
        self.callbacks = []
        return 0


def _emit_three(org):
    with transaction.atomic():
        first = emit(org, "shipment.synced", {"key": "s:1", "record": {"qty": 3, "note": "café ✓"}}, key="shipment:1")
        second = emit(org, "inventory.updated", {"sku": "TEE", "quantities": [1, 2.5, None]}, key="inventory:TEE")
        third = emit(org, "shipment.synced", {"key": "s:1", "record": {"qty": 4}}, key="shipment:1", version=2)
    return [first, second, third]


def test_publishes_in_order_and_marks_the_batch(org_a, path):
    rows = _emit_three(org_a)
    producer = RecordingProducer()
    assert relay_once(producer) == 3
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert relay_once(producer) == 0
    events = [kafka.decode_event(value) for _topic, _key, value in producer.sent]
    assert [e["event_id"] for e in events] == [str(r.event_id) for r in rows]
    assert [key for _topic, key, _value in producer.sent] == [kafka.partition_key(org_a.pk, r.key) for r in rows]
    first = events[0]
    assert first == {
        "event_id": str(rows[0].event_id),
        "organization_id": org_a.pk,
        "type": "shipment.synced",
        "version": 1,
        "key": "shipment:1",
        "data": {"key": "s:1", "record": {"qty": 3, "note": "café ✓"}},
        "occurred_at": rows[0].occurred_at.isoformat(),
    }
    assert events[1]["data"] == {"sku": "TEE", "quantities": [1, 2.5, None]}
    assert events[2]["version"] == 2
    assert uuid.UUID(events[2]["event_id"]) == rows[2].event_id


def test_a_batch_the_broker_refuses_stays_unpublished(org_a, path):
    _emit_three(org_a)
    with pytest.raises(PublishFailed):
        relay_once(RecordingProducer(acknowledge=False))
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 3
    producer = RecordingProducer()
    assert relay_once(producer) == 3  # all of it again, next time
    assert len(producer.sent) == 3


def test_batches_follow_the_batch_size(org_a, path):
    with transaction.atomic():
        for i in range(5):
            emit(org_a, "product.synced", {"key": f"p:{i}", "record": {}}, key=f"product:{i}")
    producer = RecordingProducer()
    assert [relay_once(producer, batch_size=2) for _ in range(4)] == [2, 2, 1, 0]
    keys = [json.loads(value)["data"]["key"] for _topic, _key, value in producer.sent]
    assert keys == [f"p:{i}" for i in range(5)]


def test_events_the_consumer_has_not_stored_are_published_again_after_the_broker_lost_them(org_a, path):
    from ekyam.events.relay import republish_unconfirmed
    from webhooks import fanout

    rows = _emit_three(org_a)
    assert relay_once(RecordingProducer()) == 3
    # The webhook consumer stored the first one; the broker then lost everything.
    fanout.confirm_stored([{"event_id": str(rows[0].event_id)}, {"event_id": "not-a-uuid"}])
    assert OutboxEvent.objects.filter(stored_at__isnull=False).count() == 1

    assert republish_unconfirmed() == 2
    producer = RecordingProducer()
    assert relay_once(producer) == 2
    assert [json.loads(value)["event_id"] for _, _, value in producer.sent] == [str(r.event_id) for r in rows[1:]]
