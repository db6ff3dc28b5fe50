"""A disabled endpoint's messages are held, not stranded: what was on its schedule and what is
emitted while it is disabled is kept, and enabling it or "recover since T" delivers the whole
window (Svix's recover); per-endpoint delivery settings in the API and the portal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.webhooks.test_api_and_portal import _dead_letter
from webhooks import actions, dispatcher, fanout, outcomes
from webhooks.delivery import Result
from webhooks.models import DeadLetter, Delivery

pytestmark = pytest.mark.django_db


def _event(org, **data) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "organization_id": org.pk,
        "type": "shipment.synced",
        "occurred_at": datetime(2026, 11, 27, 8, 30, tzinfo=UTC).isoformat(),
        "data": {"key": "shipment:1", **data},
        "published_at": timezone.now(),
    }


def test_events_emitted_while_an_endpoint_is_disabled_are_stored_held_and_delivered_on_enable(org_a, path):
    active, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/on")
    disabled, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/off")
    actions.disable_endpoint(disabled, "test")

    events = [_event(org_a, seq=i) for i in range(5)]
    jobs = fanout.store(events)

    assert {job.endpoint_id for job in jobs} == {active.pk}  # nothing attempted for the disabled one...
    kept = Delivery.objects.filter(endpoint=disabled).select_related("endpoint")
    assert kept.count() == 5  # ...but every message is kept for it
    assert {d.state for d in kept} == {"held"} and not kept.exclude(claim_token="").exists()
    assert dispatcher.claim_due() == []  # held: not claimable while disabled
    # Redelivered events store nothing twice, held or not.
    assert fanout.store(events) == []
    assert Delivery.objects.count() == 10

    actions.enable_endpoint(disabled)

    claimed = dispatcher.claim_due()
    assert sorted(d.pk for d in claimed) == sorted(kept.values_list("pk", flat=True))


def test_auto_disable_holds_the_other_messages_and_recover_since_delivers_the_whole_window(org_a, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES = 2
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 60]
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    start = timezone.now()
    jobs = fanout.store([_event(org_a, seq=i) for i in range(6)])
    # Two messages exhaust their schedule (2 attempts each) and the endpoint is disabled.
    outcomes.record([(job, Result(False, status_code=500, error="HTTP 500")) for job in jobs])
    Delivery.objects.filter(pk__in=[j.delivery_id for j in jobs[:2]]).update(claim_token="t2", attempt_count=1)
    for job in jobs[:2]:
        job.number, job.schedule_index, job.claim_token = 2, 1, "t2"
    outcomes.record([(job, Result(False, status_code=500, error="HTTP 500")) for job in jobs[:2]])
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert DeadLetter.objects.filter(endpoint=endpoint).count() == 2
    # The other four are held (kept, visible, not attempted), not stranded as "retrying".
    others = Delivery.objects.filter(pk__in=[j.delivery_id for j in jobs[2:]]).select_related("endpoint")
    assert {d.state for d in others} == {"held"}
    # Emitted while disabled: held too.
    fanout.store([_event(org_a, seq=99)])
    assert actions.held(endpoint).count() == 5

    stale = actions.Endpoint.objects.get(pk=endpoint.pk)
    stale.is_active = True  # as loaded before the delivery process disabled it
    counts = actions.recover_endpoint(stale, start - timedelta(seconds=1))

    assert counts == {"held": 5, "replayed": 2}
    endpoint.refresh_from_db()
    assert endpoint.is_active
    due = Delivery.objects.filter(
        endpoint=endpoint, status__in=["pending", "retrying"], next_attempt_at__lte=timezone.now()
    )
    assert due.count() == 7  # the whole window: the dead letters and everything held
    # Each restarts its schedule (replay_base): the first attempt after recovery is not the last.
    assert all(d.attempt_count - d.replay_base == 0 for d in due)


def test_an_attempt_in_flight_while_the_endpoint_is_recovered_does_not_dead_letter_its_message(org_a, settings, path):
    # The drill's defect: attempts started before "recover since T" failed after it (the receiver was
    # still down when they were sent) and, judged by the schedule position of their claim, dead-lettered
    # messages the recovery had just promised to deliver, and disabled the endpoint again.
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]  # two attempts, the second due at once
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    start = timezone.now()
    jobs = fanout.store([_event(org_a, seq=i) for i in range(3)])
    outcomes.record([(job, Result(False, status_code=500, error="HTTP 500")) for job in jobs])
    # The second attempts are claimed and sent, the last step of the schedule...
    in_flight = [dispatcher.job_for(d) for d in dispatcher.claim_due()]
    assert [job.schedule_index for job in in_flight] == [1, 1, 1]
    # ...and the endpoint is disabled and recovered before their outcomes are recorded.
    actions.disable_endpoint(endpoint, "test")
    actions.recover_endpoint(endpoint, start - timedelta(seconds=1))
    outcomes.record([(job, Result(False, status_code=500, error="HTTP 500")) for job in in_flight])

    assert not DeadLetter.objects.exists()
    kept = Delivery.objects.filter(endpoint=endpoint)
    assert set(kept.values_list("status", "attempt_count")) == {("retrying", 2)}  # a fresh schedule's next step
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failed_messages == 0


def test_recover_through_the_api_and_delivery_settings_are_validated(org_a, developer_a, client_for):
    client = client_for(developer_a)
    created = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "http://127.0.0.1:9/hook", "retry_schedule": [0, 5, 60], "timeout_seconds": 5, "max_concurrency": 4},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    body = client.get(f"/api/v1/webhook-endpoints/{pk}/").json()
    assert (body["retry_schedule"], body["timeout_seconds"], body["max_concurrency"]) == ([0, 5, 60], 5, 4)
    for bad in ({"retry_schedule": [-1]}, {"retry_schedule": "soon"}, {"timeout_seconds": 600}, {"max_concurrency": 0}):
        response = client.patch(f"/api/v1/webhook-endpoints/{pk}/", bad, format="json")
        assert response.status_code == 400, (bad, response.json())
        assert set(bad) <= set(response.json()["error"]["fields"]), response.json()
    endpoint = actions.Endpoint.objects.get(pk=pk)
    dead = _dead_letter(org_a, endpoint)
    client.post(f"/api/v1/webhook-endpoints/{pk}/disable/")
    missing = client.post(f"/api/v1/webhook-endpoints/{pk}/recover/", {}, format="json")
    assert missing.status_code == 400 and "since" in missing.json()["error"]["fields"]
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    recovered = client.post(f"/api/v1/webhook-endpoints/{pk}/recover/", {"since": since}, format="json")
    assert recovered.status_code == 200 and recovered.json() == {"held": 0, "replayed": 1}
    assert client.get(f"/api/v1/webhook-endpoints/{pk}/").json()["is_active"] is True
    dead.refresh_from_db()
    assert dead.status == "replaying"


def test_the_portal_shows_held_messages_edits_settings_and_recovers(org_a, owner_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/p")
    actions.disable_endpoint(endpoint, "test")
    fanout.store([_event(org_a)])
    client = Client()
    client.force_login(owner_a)
    page = client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
    assert "1 message held while disabled" in page and "<td>held</td>" in page
    saved = client.post(
        f"/developers/webhooks/endpoints/{endpoint.pk}/",
        {"url": endpoint.url, "filter": "", "headers": "", "retry_schedule": "0, 5, 60", "timeout_seconds": "5"},
    )
    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.retry_schedule == [0, 5, 60] and endpoint.timeout_seconds == 5
    refused = client.post(
        f"/developers/webhooks/endpoints/{endpoint.pk}/", {"url": endpoint.url, "retry_schedule": "soon"}
    )
    assert refused.status_code == 200 and "separated by commas" in refused.content.decode()
    recovered = client.post(
        f"/developers/webhooks/endpoints/{endpoint.pk}/recover/", {"since": "2026-01-01T00:00"}, follow=True
    )
    assert "1 held message(s)" in recovered.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.is_active
