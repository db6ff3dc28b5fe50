"""Delivery rules without the broker: SSRF guard, signatures and rotation, retry timing, 410,
auto-disable, rate limits, retention."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks import Webhook

from ekyam.alerts.models import Alert
from ekyam.events import retention as outbox_retention
from ekyam.events.models import OutboxEvent
from tests.servers import ScriptedServer
from webhooks import actions, dispatcher, outcomes, retention, retries
from webhooks.delivery import Job, Result, attempt, make_client
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message
from webhooks.signing import sign

pytestmark = pytest.mark.django_db


def test_standard_webhooks_test_vector():
    body = b'{"test": 2432232314}'
    assert sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", "http://192.168.0.10/", "ftp://example.com/x"],
)
def test_private_and_link_local_urls_are_refused_at_save(org_a, url):
    with pytest.raises(ValidationError) as info:
        actions.create_endpoint(org_a, url=url)
    assert "url" in info.value.message_dict


def test_https_is_required_when_configured(org_a, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(ValidationError, match="https"):
        actions.create_endpoint(org_a, url="http://127.0.0.1:9/hook")


def _job(endpoint, message, delivery, **extra) -> Job:
    d = Delivery.objects.select_related("endpoint", "message").get(pk=delivery.pk)
    d.claim_token = extra.pop("claim_token", "t")
    Delivery.objects.filter(pk=d.pk).update(claim_token=d.claim_token, claimed_until=timezone.now())
    job = dispatcher.job_for(d)
    for key, value in extra.items():
        setattr(job, key, value)
    return job


def _delivery(org, endpoint, event_type="shipment.synced"):
    import uuid

    event_id = uuid.uuid4()
    now = timezone.now()
    message = Message.objects.create(
        organization=org,
        event_id=event_id,
        webhook_id=actions.webhook_id_for(event_id),
        event_type=event_type,
        occurred_at=now,
        body=actions.message_body(event_type, now, {"key": "x"}),
    )
    return message, Delivery.objects.create(organization=org, message=message, endpoint=endpoint, next_attempt_at=now)


def test_ssrf_guard_applies_again_at_delivery_time(org_a, settings):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/hook")
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://10.0.0.5/hook")  # e.g. DNS changed since save
    endpoint.refresh_from_db()
    message, delivery = _delivery(org_a, endpoint)
    result = attempt(_job(endpoint, message, delivery), make_client(1))
    assert not result.ok and result.status_code is None
    assert "Refused destination" in result.error


def test_rotation_signs_with_old_and_new_secret_during_overlap(org_a):
    with ScriptedServer() as receiver:
        endpoint, old_secret = actions.create_endpoint(org_a, url=receiver.url)
        new_secret = actions.rotate_secret(endpoint)
        endpoint.refresh_from_db()
        message, delivery = _delivery(org_a, endpoint)
        result = attempt(_job(endpoint, message, delivery), make_client(1))
        assert result.ok
        request = receiver.requests[0]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert len(headers["webhook-signature"].split(" ")) == 2
        for secret in (old_secret, new_secret):
            assert Webhook(secret).verify(request["body"], headers) == json.loads(request["body"])
        # After the overlap only the new secret signs.
        actions.rotate_secret(endpoint, overlap_hours=0)
        endpoint.refresh_from_db()
        attempt(_job(endpoint, message, delivery), make_client(1))
        assert len(receiver.requests[1]["headers"]["webhook-signature"].split(" ")) == 1


def test_secret_is_revealed_once(org_a):
    endpoint, secret = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    assert actions.reveal_secret(endpoint) == secret
    with pytest.raises(ValidationError, match="already revealed"):
        actions.reveal_secret(endpoint)


def test_redirects_are_failures_and_bodies_are_truncated(org_a, settings):
    settings.WEBHOOK_RESPONSE_BODY_LIMIT = 10
    with ScriptedServer() as receiver:
        receiver.script = [(302, {"Location": "https://example.com/"}, b"x" * 100, 0)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        message, delivery = _delivery(org_a, endpoint)
        result = attempt(_job(endpoint, message, delivery), make_client(1))
        assert not result.ok and result.status_code == 302 and "redirects" in result.error
        assert result.body == "x" * 10


def test_retry_delay_honours_schedule_retry_after_and_slow_down_floor(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    settings.WEBHOOK_SLOWDOWN_FLOOR_SECONDS = 60
    assert retries.next_delay(1) == 5
    assert retries.next_delay(1, retry_after=120) == 120
    assert retries.next_delay(1, slow_down=True) == 60
    assert retries.next_delay(2, retry_after=10) == 300
    assert retries.next_delay(3) is None


def test_retry_after_is_the_receivers_answer_within_bounds_and_beats_the_slow_down_floor(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    settings.WEBHOOK_SLOWDOWN_FLOOR_SECONDS = 60
    settings.WEBHOOK_MIN_RETRY_AFTER_SECONDS = 1
    settings.WEBHOOK_MAX_RETRY_AFTER_SECONDS = 3600
    # A 429 saying "Retry-After: 7" waits 7 s, not the 60 s floor for 429s that say nothing.
    assert retries.next_delay(1, retry_after=7, slow_down=True) == 7
    assert retries.next_delay(1, slow_down=True) == 60
    assert retries.next_delay(1, retry_after=0, slow_down=True) == 5  # the schedule step still applies
    assert retries.next_delay(1, retry_after=10**9) == 3600  # a sane ceiling
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    assert retries.next_delay(1, retry_after=0) == 1  # and a floor against hammering


def test_an_endpoints_own_retry_schedule_replaces_the_global_one(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    assert retries.next_delay(1, schedule=[0, 2]) == 2
    assert retries.next_delay(2, schedule=[0, 2]) is None
    assert retries.max_attempts([0, 2]) == 2


def test_429_retry_after_is_recorded_as_the_next_attempt_time(org_a, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    settings.WEBHOOK_SLOWDOWN_FLOOR_SECONDS = 60
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    message, delivery = _delivery(org_a, endpoint)
    before = timezone.now()
    outcomes.record(
        [(_job(endpoint, message, delivery), Result(False, status_code=429, retry_after=7.0, slow_down=True))]
    )
    wait = (Delivery.objects.get(pk=delivery.pk).next_attempt_at - before).total_seconds()
    assert 7 <= wait < 30


def test_410_disables_the_endpoint_with_event_alert_and_dead_letter(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    message, delivery = _delivery(org_a, endpoint)
    outcomes.record([(_job(endpoint, message, delivery), Result(False, status_code=410, error="HTTP 410", gone=True))])
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert DeadLetter.objects.get().reason.startswith("The endpoint answered 410")
    assert set(OutboxEvent.objects.values_list("type", flat=True)) == {
        "webhook.endpoint.disabled",
        "webhook.message.dead_lettered",
    }
    assert set(Alert.objects.values_list("kind", flat=True)) == {"dlq", "endpoint_disabled"}


def test_endpoint_disabled_after_n_consecutive_dead_messages(org_a, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES = 2
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    for _ in range(2):
        message, delivery = _delivery(org_a, endpoint)
        outcomes.record([(_job(endpoint, message, delivery), Result(False, status_code=500, error="HTTP 500"))])
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "2 consecutive messages" in endpoint.disabled_reason


def test_endpoint_disabled_after_failing_for_the_period(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=6))
    message, delivery = _delivery(org_a, endpoint)
    outcomes.record([(_job(endpoint, message, delivery), Result(False, status_code=500, error="HTTP 500"))])
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "Every delivery failed since" in endpoint.disabled_reason
    assert Delivery.objects.get(pk=delivery.pk).status == "retrying"


def test_success_resets_failure_counters_and_each_attempt_is_a_row(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now(), consecutive_failed_messages=3)
    message, delivery = _delivery(org_a, endpoint)
    outcomes.record([(_job(endpoint, message, delivery), Result(True, status_code=204))])
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.consecutive_failed_messages == 0
    assert DeliveryAttempt.objects.get().status == "succeeded"
    assert Delivery.objects.get().status == "succeeded"


def test_claims_are_exclusive_and_skip_disabled_endpoints(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    _delivery(org_a, endpoint)
    first = dispatcher.claim_due()
    assert len(first) == 1
    assert dispatcher.claim_due() == []  # leased
    Delivery.objects.update(claimed_until=None, claim_token="")
    actions.disable_endpoint(endpoint, "test")
    assert dispatcher.claim_due() == []


def test_rate_limit_is_enforced_per_endpoint(org_a):
    from webhooks import ratelimit

    allowed = [ratelimit.allow(987654, 3) for _ in range(5)]
    assert allowed.count(True) <= 3 and allowed[0]


def test_retention_prunes_delivered_messages_but_keeps_dead_letters(org_a, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    old = timezone.now() - timedelta(days=31)
    delivered_msg, delivered = _delivery(org_a, endpoint)
    Delivery.objects.filter(pk=delivered.pk).update(status="succeeded")
    dead_msg, dead = _delivery(org_a, endpoint)
    actions.dead_letter(Delivery.objects.select_related("endpoint__organization", "message").get(pk=dead.pk), "x")
    pending_msg, _ = _delivery(org_a, endpoint)
    Message.objects.update(created_at=old)
    OutboxEvent.objects.update(published_at=old)
    assert retention.prune_messages() == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {dead_msg.pk, pending_msg.pk}
    published = OutboxEvent.objects.count()
    assert published >= 1
    OutboxEvent.objects.create(organization=org_a, type="shipment.synced", key="k", payload={})  # unpublished
    assert outbox_retention.prune_outbox() == published
    assert OutboxEvent.objects.count() == 1
