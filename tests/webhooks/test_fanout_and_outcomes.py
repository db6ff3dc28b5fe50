"""Storing messages/deliveries and recording outcomes, on both implementations: the set-based
PostgreSQL statements (`webhooks.bulk`) and the ORM path other databases use."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import timezone

from webhooks import actions, fanout, outcomes
from webhooks.delivery import Result
from webhooks.models import Delivery, DeliveryAttempt, Message

pytestmark = pytest.mark.django_db


def _event(org, event_type="shipment.synced", **data) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "organization_id": org.pk,
        "type": event_type,
        "occurred_at": datetime(2026, 11, 27, 8, 30, tzinfo=UTC).isoformat(),
        "data": {"key": "shipment:1", **data},
        "published_at": timezone.now(),
    }


def test_one_message_and_one_claimed_delivery_per_subscribed_endpoint(org_a, org_b, path):
    everything, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/all")
    shipments, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/s", event_types=["shipment.synced"])
    actions.create_endpoint(org_a, url="http://127.0.0.1:9/p", event_types=["product.synced"])
    other_org, _ = actions.create_endpoint(org_b, url="http://127.0.0.1:9/b")
    events = [_event(org_a, seq=i) for i in range(3)] + [_event(org_b, seq=9)]

    jobs = fanout.store(events)

    assert Message.objects.count() == 4
    assert sorted((j.endpoint_id, j.organization_id) for j in jobs) == sorted(
        [(everything.pk, org_a.pk)] * 3 + [(shipments.pk, org_a.pk)] * 3 + [(other_org.pk, org_b.pk)]
    )
    for job in jobs:
        delivery = Delivery.objects.select_related("message").get(pk=job.delivery_id)
        assert delivery.endpoint_id == job.endpoint_id and delivery.status == "pending"
        assert delivery.claim_token == job.claim_token and delivery.claimed_until > timezone.now()
        assert job.webhook_id == delivery.message.webhook_id == actions.webhook_id_for(delivery.message.event_id)
        # The body sent is the body stored.
        assert Message.objects.get(pk=delivery.message_id).body == json.loads(job.body)
        assert delivery.message.body["timestamp"] == "2026-11-27T08:30:00Z"


def test_redelivered_events_store_nothing_twice_but_reach_new_endpoints(org_a, path):
    first, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/1")
    events = [_event(org_a, seq=i) for i in range(2)]
    assert len(fanout.store(events)) == 2
    webhook_ids = set(Message.objects.values_list("webhook_id", flat=True))

    # The same batch again (the relay republished it), with one event twice in it.
    assert fanout.store(events + events[:1]) == []
    assert Message.objects.count() == 2 and Delivery.objects.count() == 2

    # An endpoint added since gets the redelivered events, under the same webhook ids.
    second, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/2")
    jobs = fanout.store(events + events[:1])
    assert sorted(j.endpoint_id for j in jobs) == [second.pk, second.pk]
    assert {j.webhook_id for j in jobs} == webhook_ids
    assert Message.objects.count() == 2 and Delivery.objects.filter(endpoint=first).count() == 2


def test_a_bad_event_is_dropped_and_the_rest_of_its_batch_is_stored(org_a, path, caplog):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    no_date = {**_event(org_a), "occurred_at": "yesterday"}
    bad = [no_date]
    if connection.vendor == "postgresql":  # SQLite does not enforce column lengths
        bad.append(_event(org_a, event_type="x" * 120))  # the type column holds 80 characters
    good = [_event(org_a, seq=i) for i in range(3)]

    jobs = fanout.store([good[0], *bad[:1], good[1], *bad[1:], good[2]])

    assert sorted(j.webhook_id for j in jobs) == sorted(actions.webhook_id_for(e["event_id"]) for e in good)
    assert Message.objects.count() == 3 and Delivery.objects.filter(endpoint=endpoint).count() == 3
    dropped = [r.getMessage() for r in caplog.records if "dropping event" in r.getMessage()]
    assert [event["event_id"] in line for event, line in zip(bad, dropped, strict=True)] == [True] * len(bad)


def test_outcomes_are_recorded_as_attempt_rows_and_delivery_states(org_a, path):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    jobs = fanout.store([_event(org_a, seq=i) for i in range(3)])
    ok, failed, lost = jobs
    # Another worker took over `lost` (its lease expired): the attempt is still a row, but the state
    # belongs to the new owner.
    Delivery.objects.filter(pk=lost.delivery_id).update(claim_token="someone-else")

    outcomes.record(
        [
            (ok, Result(True, status_code=204, body="fine\x00", duration_ms=12)),
            (failed, Result(False, status_code=503, body="down", error="HTTP 503", duration_ms=30)),
            (lost, Result(True, status_code=200, duration_ms=5)),
        ]
    )

    rows = {a.delivery_id: a for a in DeliveryAttempt.objects.all()}
    assert set(rows) == {ok.delivery_id, failed.delivery_id, lost.delivery_id}
    assert (rows[ok.delivery_id].status, rows[ok.delivery_id].status_code) == ("succeeded", 204)
    assert rows[ok.delivery_id].number == 1 and rows[ok.delivery_id].duration_ms == 12
    assert rows[ok.delivery_id].response_body == "fine\ufffd"  # PostgreSQL text cannot hold NUL
    assert (rows[failed.delivery_id].status, rows[failed.delivery_id].error) == ("failed", "HTTP 503")
    assert rows[failed.delivery_id].organization_id == org_a.pk

    delivered = Delivery.objects.get(pk=ok.delivery_id)
    assert delivered.status == "succeeded" and delivered.attempt_count == 1 and delivered.last_status_code == 204
    assert delivered.claim_token == "" and delivered.claimed_until is None and delivered.next_attempt_at is None
    assert delivered.delivered_at is not None
    assert Delivery.objects.get(pk=failed.delivery_id).status == "retrying"
    assert Delivery.objects.get(pk=lost.delivery_id).status == "pending"


def test_a_success_ends_its_endpoints_failing_streak_unless_the_lease_was_lost(org_a, path):
    from webhooks.models import Endpoint

    recovered, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/a")
    still_failing, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/b")
    Endpoint.objects.update(failing_since=timezone.now(), consecutive_failed_messages=3)
    jobs = fanout.store([_event(org_a)])
    by_endpoint = {job.endpoint_id: job for job in jobs}
    lost = by_endpoint[still_failing.pk]
    Delivery.objects.filter(pk=lost.delivery_id).update(claim_token="someone-else")

    outcomes.record([(job, Result(True, status_code=200)) for job in jobs])

    recovered.refresh_from_db()
    still_failing.refresh_from_db()
    assert recovered.failing_since is None and recovered.consecutive_failed_messages == 0
    assert still_failing.failing_since is not None and still_failing.consecutive_failed_messages == 3


def test_a_success_whose_lease_lapsed_unclaimed_is_kept_not_thrown_away(org_a, path):
    actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    lapsed, taken = fanout.store([_event(org_a, seq=i) for i in range(2)])
    # `lapsed`: its claim was cleared (nobody holds it); `taken`: another worker holds it now.
    Delivery.objects.filter(pk=lapsed.delivery_id).update(claim_token="", claimed_until=None)
    Delivery.objects.filter(pk=taken.delivery_id).update(claim_token="someone-else")

    outcomes.record([(lapsed, Result(True, status_code=200)), (taken, Result(True, status_code=200))])

    assert Delivery.objects.get(pk=lapsed.delivery_id).status == "succeeded"
    assert Delivery.objects.get(pk=taken.delivery_id).status == "pending"
