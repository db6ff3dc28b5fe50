"""The core path against the real broker: outbox → relay → Kafka → consumer → signed POST."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from ekyam.events.models import OutboxEvent
from ekyam.events.outbox import emit
from ekyam.events.relay import relay_once
from tests.servers import ScriptedServer
from tests.webhooks.conftest import wait_for
from webhooks import actions
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Message

pytestmark = [pytest.mark.kafka, pytest.mark.django_db(transaction=True)]


def test_event_is_delivered_signed_and_recorded(org_a, on_shared_topics, producer):
    with ScriptedServer() as receiver:
        endpoint, secret = actions.create_endpoint(
            org_a, url=receiver.url + "/hook", event_types=["shipment.synced"], headers={"X-Team": "ops"}
        )
        with transaction.atomic():
            emit(org_a, "shipment.synced", {"key": "netsuite:itemFulfillment:1", "record": {"n": 1}}, key="s:1")
            emit(org_a, "product.synced", {"key": "p:1", "record": {}}, key="p:1")  # not subscribed
        assert relay_once(producer) == 2
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()

        wait_for(lambda: Delivery.objects.filter(status="succeeded").exists(), message="delivery")
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        body = request["body"]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert Webhook(secret).verify(body, headers) == json.loads(body)
        payload = json.loads(body)
        assert payload["type"] == "shipment.synced"
        assert payload["data"]["key"] == "netsuite:itemFulfillment:1"
        assert headers["x-team"] == "ops"
        message = Message.objects.get()
        assert headers["webhook-id"] == message.webhook_id
        attempt = DeliveryAttempt.objects.get()
        assert (attempt.status, attempt.status_code, attempt.number) == ("succeeded", 200, 1)


def test_rolled_back_transaction_publishes_nothing(org_a, producer, kafka_broker, settings):
    settings.KAFKA_TOPIC_PREFIX = "rollback"
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(org_a, "shipment.synced", {"key": "x", "record": {}}, key="s:1")
        raise RuntimeError("the state change failed")
    assert relay_once(producer) == 0


def test_failing_receiver_gets_the_message_on_the_schedule_then_dlq_and_replay(org_a, on_shared_topics, producer):
    with ScriptedServer() as receiver:
        # Fails twice (500, then 429 with Retry-After), then succeeds: schedule 0, 1, 2, 3 s.
        receiver.script = [(500, {}, b"boom", 0), (429, {"Retry-After": "1"}, b"slow", 0)]
        endpoint, secret = actions.create_endpoint(org_a, url=receiver.url)
        with transaction.atomic():
            emit(org_a, "inventory.updated", {"connection_id": 1, "vendor": "whiplash"}, key="i:1")
        relay_once(producer)
        wait_for(lambda: Delivery.objects.filter(status="succeeded").exists(), message="recovery")
        attempts = list(DeliveryAttempt.objects.order_by("number"))
        assert [(a.number, a.status, a.status_code) for a in attempts] == [
            (1, "failed", 500),
            (2, "failed", 429),
            (3, "succeeded", 200),
        ]
        assert attempts[0].response_body == "boom"
        gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps[0] >= 1.0 and gaps[1] >= 2.0  # schedule steps 1 s and 2 s (Retry-After 1 s is below)
        ids = {r["headers"]["webhook-id"] for r in receiver.requests}
        assert len(ids) == 1  # identical on every retry
        for r in receiver.requests:
            Webhook(secret).verify(r["body"], {k.lower(): v for k, v in r["headers"].items()})

        # Now a message that fails every attempt: it lands in the DLQ with all attempts.
        receiver.script = [(503, {}, b"down", 0)] * 4
        with transaction.atomic():
            emit(org_a, "inventory.updated", {"connection_id": 1, "vendor": "whiplash"}, key="i:2")
        relay_once(producer)
        dead = wait_for(lambda: DeadLetter.objects.first(), message="dead letter")
        assert dead.status == "dead" and len(dead.attempts) == 4
        assert [a["status_code"] for a in dead.attempts] == [503] * 4
        assert "4 attempts failed" in dead.reason
        assert dead.payload["type"] == "inventory.updated"

        # Replay: the receiver is healthy again, the message is delivered.
        assert actions.replay_dead_letter(dead)
        wait_for(lambda: DeadLetter.objects.get(pk=dead.pk).status == "replayed", message="replay")
        delivery = Delivery.objects.get(pk=dead.delivery_id)
        assert delivery.status == "succeeded"
        assert delivery.attempts.order_by("-number").first().trigger == "replay"
