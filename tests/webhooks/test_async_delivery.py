"""The delivery path: `attempt_async` signs, refuses, classifies and truncates as the rules say, and the Dispatcher's
event loop records every attempt as a row and enforces per-endpoint rate limits."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from tests.servers import ScriptedServer
from tests.webhooks.deliveries import delivery_for, job_for, run_attempt
from webhooks import actions
from webhooks.dispatcher import Dispatcher
from webhooks.models import Delivery, DeliveryAttempt, Endpoint


@pytest.mark.django_db
def test_signatures_verify_with_old_and_new_secret_during_rotation(org_a):
    with ScriptedServer() as receiver:
        endpoint, old_secret = actions.create_endpoint(org_a, url=receiver.url + "/hook", headers={"X-Team": "ops"})
        new_secret = actions.rotate_secret(endpoint)
        endpoint.refresh_from_db()
        message, delivery = delivery_for(org_a, endpoint)
        result = run_attempt(job_for(endpoint, message, delivery))
        assert result.ok and result.status_code == 200 and result.body == "ok"
        request = receiver.requests[0]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["x-team"] == "ops" and headers["webhook-id"] == message.webhook_id
        for secret in (old_secret, new_secret):
            assert Webhook(secret).verify(request["body"], headers) == json.loads(request["body"])


@pytest.mark.django_db
def test_redirects_are_failures_and_bodies_are_truncated(org_a):
    with ScriptedServer() as receiver:
        receiver.script = [(302, {"Location": "https://example.com/"}, b"x" * 100, 0)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        message, delivery = delivery_for(org_a, endpoint)
        result = run_attempt(job_for(endpoint, message, delivery), limit=10)
        assert not result.ok and result.status_code == 302 and "redirects" in result.error
        assert result.body == "x" * 10 and len(receiver.requests) == 1


@pytest.mark.django_db
def test_429_with_retry_after_and_410_are_classified(org_a):
    with ScriptedServer() as receiver:
        receiver.script = [(429, {"Retry-After": "30"}, b"", 0), (410, {}, b"gone", 0)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        message, delivery = delivery_for(org_a, endpoint)
        limited = run_attempt(job_for(endpoint, message, delivery))
        assert limited.slow_down and limited.retry_after == 30.0 and not limited.gone
        gone = run_attempt(job_for(endpoint, message, delivery))
        assert gone.gone and gone.status_code == 410


@pytest.mark.django_db
def test_timeouts_are_failures_that_slow_down(org_a):
    with ScriptedServer() as receiver:
        receiver.script = [(200, {}, b"late", 1.5)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        message, delivery = delivery_for(org_a, endpoint)
        result = run_attempt(job_for(endpoint, message, delivery), timeout=0.3)
        assert not result.ok and result.slow_down and result.status_code is None
        assert "Timed out" in result.error


@pytest.mark.django_db
def test_ssrf_guard_applies_again_at_delivery_time(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/hook")
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://10.0.0.5/hook")  # e.g. DNS changed since save
    endpoint.refresh_from_db()
    message, delivery = delivery_for(org_a, endpoint)
    result = run_attempt(job_for(endpoint, message, delivery))
    assert not result.ok and result.status_code is None and "Refused destination" in result.error


@pytest.mark.django_db(transaction=True)
def test_dispatcher_records_every_attempt_and_enforces_rate_limits(org_a):
    with ScriptedServer() as receiver, ScriptedServer() as limited_receiver:
        receiver.script = [(200, {}, b"ok", 0), (500, {}, b"boom", 0)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        limited_endpoint, _ = actions.create_endpoint(org_a, url=limited_receiver.url, rate_limit_per_second=1)
        jobs = []
        for target in [endpoint, endpoint, limited_endpoint, limited_endpoint, limited_endpoint, limited_endpoint]:
            message, delivery = delivery_for(org_a, target)
            jobs.append(job_for(target, message, delivery, claim_token=f"c{delivery.pk}"))
        recorded = []
        dispatcher = Dispatcher(concurrency=4, on_recorded=recorded.extend).start(scheduler=False)
        try:
            dispatcher.submit(jobs)
        finally:
            dispatcher.stop()  # drains: every submitted job is attempted or released, then recorded
    attempts = DeliveryAttempt.objects.all()
    assert attempts.count() == len(recorded) == len(receiver.requests) + len(limited_receiver.requests)
    statuses = dict(Delivery.objects.filter(endpoint=endpoint).values_list("pk", "status"))
    assert sorted(statuses.values()) == ["retrying", "succeeded"]
    limited = Delivery.objects.filter(endpoint=limited_endpoint)
    attempted_limited = attempts.filter(delivery__endpoint=limited_endpoint).count()
    # 4 deliveries within a second or two at 1/s: some were given back, not attempted.
    assert 1 <= attempted_limited < 4
    released = limited.filter(attempt_count=0, claim_token="", status="pending")
    assert released.count() == 4 - attempted_limited
