"""Per-endpoint lanes in the dispatcher: a hanging endpoint only delays itself, leases are renewed
while attempts wait or run, a disabled endpoint's queued attempts are dropped at once, a full lane
gives jobs back to the database, and `stop` ends within the attempt timeout."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.servers import GatedServer, ScriptedServer
from tests.webhooks.conftest import wait_for
from tests.webhooks.test_delivery_rules import _delivery, _job
from webhooks import actions, dispatcher
from webhooks.dispatcher import Dispatcher
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_keeper(settings):
    settings.WEBHOOK_SCHEDULER_INTERVAL_SECONDS = 0.1


def _jobs(org, endpoint, count: int):
    jobs = []
    for _ in range(count):
        message, delivery = _delivery(org, endpoint)
        jobs.append(_job(endpoint, message, delivery, claim_token=f"c{delivery.pk}"))
    Delivery.objects.filter(pk__in=[j.delivery_id for j in jobs]).update(
        claimed_until=timezone.now() + timezone.timedelta(seconds=60)
    )
    return jobs


def test_a_hanging_endpoint_delays_only_itself_and_disabling_it_drops_its_queue(org_a):
    with GatedServer() as slow_receiver, ScriptedServer() as healthy_receiver:
        slow, _ = actions.create_endpoint(org_a, url=slow_receiver.url + "/slow")
        Endpoint.objects.filter(pk=slow.pk).update(max_concurrency=2)
        slow.refresh_from_db()
        healthy, _ = actions.create_endpoint(org_a, url=healthy_receiver.url + "/ok")
        slow_jobs = _jobs(org_a, slow, 6)
        healthy_jobs = _jobs(org_a, healthy, 20)
        recorded = []
        engine = Dispatcher(threads=4, on_recorded=recorded.extend).start(scheduler=False)
        try:
            engine.submit(slow_jobs)  # queued first, ahead of the healthy endpoint's jobs
            engine.submit(healthy_jobs)
            wait_for(lambda: len(recorded) >= 20, message="the healthy endpoint's deliveries")
            # Every healthy delivery went through while the slow endpoint held only its own two slots.
            assert {job.endpoint_id for job, _ in recorded} == {healthy.pk}
            assert len(healthy_receiver.requests) == 20
            assert len(slow_receiver.requests) == 2
            # Disabled: the four queued (not started) attempts are dropped at once, given back unattempted.
            actions.disable_endpoint(slow, "test")
            queued = [j.delivery_id for j in slow_jobs]
            wait_for(
                lambda: Delivery.objects.filter(pk__in=queued, claim_token="", attempt_count=0).count() >= 4,
                timeout=20,
                message="the disabled endpoint's queued jobs to be dropped",
            )
            slow_receiver.gate.set()
        finally:
            engine.stop()
    assert len(slow_receiver.requests) == 2
    assert DeliveryAttempt.objects.filter(delivery__endpoint=slow).count() == 2


def test_leases_are_renewed_while_an_attempt_is_in_flight(org_a, settings):
    settings.WEBHOOK_CLAIM_LEASE_SECONDS = 1.5
    with GatedServer() as receiver:
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        (job,) = _jobs(org_a, endpoint, 1)
        Delivery.objects.filter(pk=job.delivery_id).update(
            claimed_until=timezone.now() + timezone.timedelta(seconds=1.5)
        )
        first_lease = Delivery.objects.get(pk=job.delivery_id).claimed_until
        engine = Dispatcher(threads=2).start(scheduler=False)
        try:
            engine.submit([job])
            wait_for(lambda: receiver.requests, message="the attempt to start")
            wait_for(
                lambda: (
                    Delivery.objects.get(pk=job.delivery_id).claimed_until > first_lease + timezone.timedelta(seconds=1)
                ),
                timeout=20,
                message="the lease to be renewed",
            )
            # Past the first lease, the delivery is still this process's: nobody else claims it.
            wait_for(lambda: timezone.now() > first_lease, message="the first lease to pass")
            assert dispatcher.claim_due() == []
            receiver.gate.set()
            wait_for(lambda: Delivery.objects.get(pk=job.delivery_id).status == "succeeded", message="the success")
        finally:
            engine.stop()
    assert len(receiver.requests) == 1


def test_a_full_lane_gives_jobs_back_and_the_scheduler_skips_its_endpoint(org_a, settings):
    settings.WEBHOOK_ENDPOINT_QUEUE_LIMIT = 3
    with GatedServer() as receiver:
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        jobs = _jobs(org_a, endpoint, 5)
        engine = Dispatcher(threads=2).start(scheduler=False)
        try:
            engine.submit(jobs)
            given_back = Delivery.objects.filter(pk__in=[j.delivery_id for j in jobs], claim_token="")
            assert given_back.count() == 2  # still due, for whichever process has room
            assert engine.full_endpoints() == [endpoint.pk]
            assert dispatcher.claim_due(skip_endpoints=engine.full_endpoints()) == []
            receiver.gate.set()
        finally:
            engine.stop()


def test_stop_ends_within_the_attempt_timeout_and_gives_back_what_it_did_not_attempt(org_a, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    with GatedServer() as receiver:
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
        Endpoint.objects.filter(pk=endpoint.pk).update(max_concurrency=1)
        endpoint.refresh_from_db()
        jobs = _jobs(org_a, endpoint, 4)
        engine = Dispatcher(threads=2).start(scheduler=False)
        engine.submit(jobs)
        wait_for(lambda: receiver.requests, message="the first attempt to start")
        engine.stop()  # the hanging attempt is cut at the deadline; the queued ones are given back
        ids = [j.delivery_id for j in jobs]
        attempted = DeliveryAttempt.objects.filter(delivery_id__in=ids)
        assert attempted.count() == len(receiver.requests) >= 1
        assert all("Timed out" in a.error for a in attempted)
        untouched = Delivery.objects.filter(pk__in=ids, attempt_count=0)
        assert untouched.count() == 4 - attempted.count()
        assert not untouched.exclude(claim_token="").exists()
