"""A "recover since T" racing an attempt's outcome on PostgreSQL: the outcome read the delivery's
schedule position (`replay_base`) before the recovery restarted it and dead-lettered the message
after the recovery had replayed the dead letters, so the message was lost to the recovery (the
disable-recover drill: 2 of 1,100 messages stayed dead). The outcome now locks the delivery when
it reads the position, so the recovery either waits for the dead letter and replays it, or the
outcome sees the fresh schedule."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from bench.common import wait_for
from tests.webhooks.test_held_and_recover import _event
from webhooks import actions, dispatcher, fanout, outcomes
from webhooks.delivery import Result
from webhooks.models import DeadLetter, Delivery

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _in_thread(target) -> tuple[threading.Thread, list]:
    errors: list = []

    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_a_recover_while_a_last_attempt_is_being_recorded_loses_no_message(org_a, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections")
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]  # two attempts, the second due at once
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    start = timezone.now()
    jobs = fanout.store([_event(org_a, seq=1)])
    outcomes.record([(job, Result(False, status_code=500, error="HTTP 500")) for job in jobs])
    in_flight = [dispatcher.job_for(d) for d in dispatcher.claim_due()]
    assert [job.schedule_index for job in in_flight] == [1]  # the last step of the schedule
    actions.disable_endpoint(endpoint, "test")

    # The outcome stops right after it read the schedule position, until the recovery has run as
    # far as it can.
    position_read, go_on = threading.Event(), threading.Event()
    next_delay = outcomes.retries.next_delay

    def paused_next_delay(*args, **kwargs):
        position_read.set()
        go_on.wait()
        return next_delay(*args, **kwargs)

    monkeypatch.setattr(outcomes.retries, "next_delay", paused_next_delay)

    def record_failure():
        with transaction.atomic():
            outcomes._record_failure(in_flight[0], Result(False, status_code=500, error="HTTP 500"), timezone.now())

    recorder, recorder_errors = _in_thread(record_failure)
    wait_for(position_read.is_set, timeout=60, what="the outcome to read the schedule position")
    recovery, recovery_errors = _in_thread(lambda: actions.recover_endpoint(endpoint, start - timedelta(seconds=1)))
    wait_for(
        lambda: not recovery.is_alive() or _someone_waits_for_a_lock(),
        timeout=60,
        what="the recovery to finish or wait for the outcome's lock",
    )
    go_on.set()
    recorder.join(60)
    recovery.join(60)
    assert not recorder.is_alive() and not recovery.is_alive()
    assert recorder_errors == [] and recovery_errors == []

    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status in (Delivery.Status.PENDING, Delivery.Status.RETRYING)  # recovered, not dead
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    assert not DeadLetter.objects.filter(status=DeadLetter.Status.DEAD).exists()
    assert dispatcher.claim_due()  # attempted again


class _Deadlock(Exception):
    sqlstate = "40P01"


def _deadlocking_cursor(times: int):
    """`binding_cursor` whose first `times` statements lose a deadlock, as PostgreSQL reports it."""
    from django.db import OperationalError

    from ekyam.db import binding_cursor

    left = [times]

    class Cursor:
        def __init__(self, cursor):
            self.cursor = cursor

        def execute(self, sql, params=None):
            if left[0] > 0:
                left[0] -= 1
                raise OperationalError("deadlock detected") from _Deadlock()
            return self.cursor.execute(sql, params)

    class Context:
        def __enter__(self):
            self.inner = binding_cursor()
            return Cursor(self.inner.__enter__())

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    return Context


@pytest.mark.parametrize("deadlocks", [1, 5])
def test_a_recover_that_keeps_losing_deadlocks_is_all_or_nothing(org_a, monkeypatch, deadlocks):
    if connection.vendor != "postgresql":
        pytest.skip("the set-based restart runs on PostgreSQL")
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    start = timezone.now()
    actions.disable_endpoint(endpoint, "test")
    fanout.store([_event(org_a, seq=i) for i in range(3)])  # held
    past = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(endpoint=endpoint).update(next_attempt_at=past, attempt_count=1)
    monkeypatch.setattr(actions, "binding_cursor", _deadlocking_cursor(deadlocks))

    if deadlocks < actions._RESTART_TRIES:  # lost now and then: tried again, all applied
        assert actions.recover_endpoint(endpoint, start - timedelta(seconds=1))["held"] == 3
        endpoint.refresh_from_db()
        assert endpoint.is_active
        assert set(Delivery.objects.values_list("replay_base", flat=True)) == {1}
        return
    from django.db import OperationalError

    with pytest.raises(OperationalError):
        actions.recover_endpoint(endpoint, start - timedelta(seconds=1))
    endpoint.refresh_from_db()
    # Nothing applied: still disabled as it was, so trying again recovers everything.
    assert not endpoint.is_active and endpoint.disabled_reason == "test" and endpoint.disabled_at is not None
    assert set(Delivery.objects.values_list("replay_base", "next_attempt_at")) == {(0, past)}
    monkeypatch.undo()
    assert actions.recover_endpoint(endpoint, start - timedelta(seconds=1))["held"] == 3
    endpoint.refresh_from_db()
    assert endpoint.is_active and set(Delivery.objects.values_list("replay_base", flat=True)) == {1}
