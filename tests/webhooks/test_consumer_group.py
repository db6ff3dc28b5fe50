"""Consumer processes against the real broker: partitions shared in a group, and no loss when one
is killed with SIGKILL mid-stream (duplicates, if any, carry the same webhook-id)."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from ekyam.events.outbox import emit
from ekyam.events.relay import relay_once
from tests.servers import ScriptedServer
from tests.webhooks.conftest import ConsumerProcess, child_env, wait_for
from webhooks import actions
from webhooks.models import Delivery, Message

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EVENTS = 120


def test_two_consumers_share_partitions_and_a_sigkilled_one_loses_nothing(org_a, kafka_broker, producer, settings):
    prefix = f"k{uuid.uuid4().hex[:8]}"
    settings.KAFKA_TOPIC_PREFIX = prefix
    env = child_env(kafka_broker, prefix)
    group = f"{prefix}-webhooks"
    first = ConsumerProcess(env, group)
    second = None
    try:
        first.wait_assigned(minimum=settings.KAFKA_TOPIC_PARTITIONS)
        second = ConsumerProcess(env, group)
        wait_for(
            lambda: second.partitions and len(first.partitions) < settings.KAFKA_TOPIC_PARTITIONS,
            timeout=90,
            message="a rebalance giving the second consumer partitions",
        )
        shared = set(first.partitions) | set(second.partitions)
        assert not set(first.partitions) & set(second.partitions)
        assert shared == set(range(settings.KAFKA_TOPIC_PARTITIONS))

        with ScriptedServer() as receiver:
            # Each answer takes 20 ms, so the stream is still flowing when the kill comes.
            receiver.script = [(200, {}, b"ok", 0.02)] * (EVENTS * 3)
            actions.create_endpoint(org_a, url=receiver.url)
            with transaction.atomic():
                for i in range(EVENTS):
                    emit(org_a, "shipment.synced", {"key": f"s:{i}", "record": {"i": i}}, key=f"shipment:{i}")
            while relay_once(producer):
                pass
            wait_for(lambda: len(receiver.requests) >= 10, message="the stream to start")
            first.kill()  # SIGKILL: no commit, no clean-up
            assert len(receiver.requests) < EVENTS
            wait_for(
                lambda: Delivery.objects.filter(status="succeeded").count() == EVENTS,
                timeout=120,
                message="every event delivered after the kill",
            )

            expected = set(Message.objects.values_list("webhook_id", flat=True))
            assert len(expected) == EVENTS
            seen = [r["headers"]["webhook-id"] for r in receiver.requests]
            assert set(seen) == expected  # every event delivered; duplicates share the webhook-id
    finally:
        first.kill()
        if second is not None:
            second.stop()
