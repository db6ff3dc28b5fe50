"""The relay's check that the broker lost acknowledged events, against the embedded broker: a batch
of several events on one partition is not taken for lost data (the embedded broker reports a
partition's end as its last record batch's first offset + 1), while a topic that came back empty is."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from ekyam.events import kafka
from ekyam.events.outbox import emit
from ekyam.events.relay import broker_lost_data, relay_once

pytestmark = [pytest.mark.kafka, pytest.mark.django_db]


@pytest.fixture
def watcher(kafka_broker, settings):
    from confluent_kafka import Consumer

    settings.KAFKA_TOPIC_PREFIX = f"w{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics()
    consumer = Consumer(kafka.consumer_config("ekyam-outbox-relay-watch", **{"enable.partition.eof": False}))
    yield consumer
    consumer.close()


def _emit_one_entity(org, start: int, count: int) -> None:
    with transaction.atomic():  # one key: one partition, one record batch per relay round
        for i in range(start, start + count):
            emit(org, "shipment.synced", {"key": "s:1", "record": {"i": i}}, key="shipment:1")


def _relay_two_batches(org, producer) -> dict[int, int]:
    """Ten events of one entity relayed, then five more; the offsets the broker acknowledged per partition."""
    acked: dict[int, int] = {}
    _emit_one_entity(org, 0, 10)
    assert relay_once(producer, acked=acked) == 10
    _emit_one_entity(org, 10, 5)
    assert relay_once(producer, acked=acked) == 5
    return acked


def test_batches_of_several_events_are_not_taken_for_lost_data(org_a, producer, watcher):
    acked = _relay_two_batches(org_a, producer)
    assert list(acked) and all(offset >= 10 for offset in acked.values())
    assert not broker_lost_data(watcher, kafka.events_topic(), acked)


def test_a_topic_that_came_back_empty_is_lost_data(org_a, producer, watcher):
    from confluent_kafka.admin import AdminClient

    acked = _relay_two_batches(org_a, producer)
    topic = kafka.events_topic()
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers()})
    for future in admin.delete_topics([topic]).values():
        future.result()
    assert broker_lost_data(watcher, topic, acked)  # gone
    kafka.ensure_topics()
    assert broker_lost_data(watcher, topic, acked)  # back, empty
