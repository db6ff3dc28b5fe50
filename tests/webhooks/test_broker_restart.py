"""Faults of the bus against the real processes: the embedded broker restarted mid-stream (it keeps
its data in memory) loses nothing the outbox acknowledged, the relay recovers on its own and exits
promptly on SIGTERM, topics come back with the configured partitions, and a consumer group whose
consumers were all killed recovers when they restart."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from bench.common import wait_for
from ekyam import embedded
from ekyam.events.models import OutboxEvent
from ekyam.events.outbox import emit
from tests.servers import ScriptedServer
from tests.webhooks.conftest import BASE_DIR, ConsumerProcess, child_env
from webhooks import actions
from webhooks.models import Message

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _relay(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "outbox_relay"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _emit(org, start: int, count: int) -> None:
    with transaction.atomic():
        for i in range(start, start + count):
            emit(org, "shipment.synced", {"key": f"s:{i}", "record": {"i": i}}, key=f"shipment:{i}")


def _partitions(broker_url: str, topic: str) -> int:
    from confluent_kafka.admin import AdminClient

    metadata = AdminClient({"bootstrap.servers": broker_url}).list_topics(topic, timeout=10)
    return len(metadata.topics[topic].partitions)


def _delivered(receiver) -> set[str]:
    return {r["headers"]["webhook-id"] for r in receiver.requests}


def test_a_broker_restart_loses_nothing_and_the_relay_and_the_group_recover_on_their_own(org_a, settings):
    port = embedded.free_port()
    broker = embedded.start_kafka(port=port)
    prefix = f"r{uuid.uuid4().hex[:8]}"
    settings.KAFKA_TOPIC_PREFIX = prefix
    env = child_env(broker.url, prefix)
    group = f"{prefix}-webhooks"
    relay = _relay(env)
    consumers: list[ConsumerProcess] = []
    try:
        with ScriptedServer() as receiver:
            actions.create_endpoint(org_a, url=receiver.url)
            consumers = [ConsumerProcess(env, group)]
            consumers[0].wait_assigned()
            _emit(org_a, 0, 20)
            wait_for(lambda: len(_delivered(receiver)) >= 20, timeout=120, what="the first events")

            # Consumers down: events are acknowledged by the broker but not consumed...
            consumers[0].stop()
            _emit(org_a, 20, 50)
            wait_for(
                lambda: not OutboxEvent.objects.filter(published_at__isnull=True).exists(),
                timeout=60,
                what="the relay to publish",
            )
            assert len(_delivered(receiver)) == 20
            # ...when the broker restarts without them (the embedded broker keeps them in memory).
            broker.stop()
            broker = embedded.start_kafka(port=port)
            _emit(org_a, 70, 30)  # and the stream goes on meanwhile

            # Both consumers of the group restart; nobody restarts the relay.
            consumers = [ConsumerProcess(env, group), ConsumerProcess(env, group)]
            wait_for(
                lambda: len(_delivered(receiver)) >= 100,
                timeout=240,
                what="every acknowledged event delivered after the broker restart",
            )
            expected = set(Message.objects.values_list("webhook_id", flat=True))
            assert len(expected) == 100 and _delivered(receiver) == expected  # 0 lost
            assert relay.poll() is None  # the same relay recovered on its own
            assert _partitions(broker.url, f"{prefix}.events") == django_settings.KAFKA_TOPIC_PARTITIONS

            # The group recovers after both consumers are killed and restarted.
            for consumer in consumers:
                consumer.kill()
            consumers = [ConsumerProcess(env, group), ConsumerProcess(env, group)]
            _emit(org_a, 100, 20)
            wait_for(lambda: len(_delivered(receiver)) >= 120, timeout=240, what="delivery after the group restart")

        relay.terminate()
        relay.wait(15)  # promptly on SIGTERM (it used to take 27-34 s)
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait()
        for consumer in consumers:
            consumer.kill()
        broker.stop()


def test_consumers_that_stay_up_through_a_broker_restart_find_the_re_created_topic(org_a, settings):
    """The broker restarts without its data under running consumers: their group rebalances at once,
    finds no events topic and assigns nothing. When the relay re-creates the topic, the consumers must
    see it at their next metadata refresh (librdkafka's default is 5 minutes: the drill's stream stood
    still that long; now EKYAM_KAFKA_METADATA_REFRESH_MS, 5 s)."""
    port = embedded.free_port()
    broker = embedded.start_kafka(port=port)
    prefix = f"u{uuid.uuid4().hex[:8]}"
    settings.KAFKA_TOPIC_PREFIX = prefix
    env = child_env(broker.url, prefix)
    group = f"{prefix}-webhooks"
    relay = _relay(env)
    consumers: list[ConsumerProcess] = []
    try:
        with ScriptedServer() as receiver:
            actions.create_endpoint(org_a, url=receiver.url)
            consumers = [ConsumerProcess(env, group), ConsumerProcess(env, group)]
            for consumer in consumers:
                consumer.wait_assigned()
            _emit(org_a, 0, 20)
            wait_for(lambda: len(_delivered(receiver)) >= 20, timeout=120, what="the first events")

            broker.stop()
            broker = embedded.start_kafka(port=port)
            _emit(org_a, 20, 20)
            # A bound on a hang, not a target: with the 5-minute default nothing arrived for 300 s.
            wait_for(
                lambda: len(_delivered(receiver)) >= 40,
                timeout=150,
                what="the events after the restart, with the same consumers",
            )
            expected = set(Message.objects.values_list("webhook_id", flat=True))
            assert len(expected) == 40 and _delivered(receiver) == expected
            assert all(consumer.process.poll() is None for consumer in consumers)  # never restarted
    finally:
        relay.kill()
        relay.wait()
        for consumer in consumers:
            consumer.kill()
        broker.stop()
