"""Ordered delivery per entity, opt-in per endpoint: messages with the same event key are attempted
one at a time in order, and a failing one holds back only its own key's later messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from webhooks import actions, dispatcher, fanout, outcomes
from webhooks.delivery import Result
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def _event(org, key: str, seq: int) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "organization_id": org.pk,
        "type": "shipment.synced",
        "key": key,
        "occurred_at": datetime(2026, 11, 27, 8, 30, tzinfo=UTC).isoformat(),
        "data": {"key": key, "seq": seq},
        "published_at": timezone.now(),
    }


def _seqs(deliveries) -> list[tuple[str, int]]:
    return sorted((d.message.event_key, d.message.body["data"]["seq"]) for d in deliveries)


def _finish(claimed, ok=True) -> None:
    jobs = [dispatcher.job_for(d) for d in claimed]
    outcomes.record([(job, Result(ok, status_code=200 if ok else 500, error="" if ok else "HTTP 500")) for job in jobs])


def test_an_ordered_endpoint_gets_each_entitys_messages_one_at_a_time_in_order(org_a, path, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]
    ordered, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/ordered", ordered=True)
    unordered, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/any")
    events = [_event(org_a, "shipment:1", i) for i in range(3)] + [_event(org_a, "shipment:2", i) for i in range(2)]

    jobs = fanout.store(events)

    # The unordered endpoint gets everything at once; the ordered one's deliveries wait for the scheduler.
    assert {job.endpoint_id for job in jobs} == {unordered.pk} and len(jobs) == 5
    Delivery.objects.filter(endpoint=unordered).update(status="succeeded")
    first = dispatcher.claim_due()
    assert _seqs(first) == [("shipment:1", 0), ("shipment:2", 0)]  # the head of each entity only
    assert dispatcher.claim_due() == []  # nothing else until those are done

    # shipment:1's head fails (retrying, due in an hour): it holds back its own successors only.
    by_key = {d.message.event_key: d for d in first}
    _finish([by_key["shipment:1"]], ok=False)
    _finish([by_key["shipment:2"]], ok=True)
    assert _seqs(dispatcher.claim_due()) == [("shipment:2", 1)]
    assert dispatcher.claim_due() == []

    # Once it succeeds, shipment:1 goes on, in order.
    Delivery.objects.filter(pk=by_key["shipment:1"].pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    retry = dispatcher.claim_due()
    assert _seqs(retry) == [("shipment:1", 0)]
    _finish(retry, ok=True)
    assert _seqs(dispatcher.claim_due()) == [("shipment:1", 1)]


def test_a_dead_lettered_head_releases_its_successors(org_a, path, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    actions.create_endpoint(org_a, url="http://127.0.0.1:9/ordered", ordered=True)
    fanout.store([_event(org_a, "shipment:7", i) for i in range(2)])
    head = dispatcher.claim_due()
    _finish(head, ok=False)  # the schedule has one attempt: dead-lettered
    assert Delivery.objects.get(pk=head[0].pk).status == "dead"
    assert _seqs(dispatcher.claim_due()) == [("shipment:7", 1)]
