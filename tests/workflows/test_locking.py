"""The engine's one lock order (a workflow row before its run rows) and trigger bursts that lose no event.

Queuing a run locks the workflow and then writes a run; claiming and finishing used to lock the run and
then the workflow, so a burst of trigger events and a worker claiming deadlocked on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from workflows import actions, engine, trigger_consumer
from workflows.models import Run, RunStatus, Trigger

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="row locks (FOR UPDATE, SKIP LOCKED) need PostgreSQL",
)

_WORKFLOW = re.compile(r'^(SELECT .* FROM "workflows_workflow" .*FOR UPDATE|UPDATE "workflows_workflow")', re.S)
_RUN = re.compile(r'^(SELECT .* FROM "workflows_run" .*FOR UPDATE|UPDATE "workflows_run")', re.S)


def _lock_sequence(queries) -> list[str]:
    """The row locks a block of SQL takes, in order: 'workflow' or 'run'."""
    sequence = []
    for query in queries:
        sql = query["sql"].strip()
        if _WORKFLOW.match(sql):
            sequence.append("workflow")
        elif _RUN.match(sql):
            sequence.append("run")
    return sequence


def _assert_workflow_first(sequence: list[str]) -> None:
    """The block is one transaction on one workflow: its row is locked before any run row (writing to it
    again later is fine, the lock is already held)."""
    assert "workflow" in sequence and "run" in sequence, sequence
    assert sequence.index("workflow") < sequence.index("run"), f"a run row locked before the workflow: {sequence}"


@pytest.fixture
def no_dispatch(monkeypatch):
    """Queued runs stay queued: these tests play the worker themselves."""
    from workflows import tasks

    monkeypatch.setattr(tasks.run_workflow, "delay", lambda *a, **k: None)


@pytest.mark.django_db(transaction=True)
def test_queuing_claiming_finishing_and_cancelling_lock_the_workflow_before_the_run(workflow, no_dispatch):
    queued = actions.request_run(workflow, Trigger.EVENT, {"record_ids": ["1"]})

    with CaptureQueriesContext(connection) as merge:
        assert actions.request_run(workflow, Trigger.EVENT, {"record_ids": ["2"]}).pk == queued.pk
    _assert_workflow_first(_lock_sequence(merge.captured_queries))

    with CaptureQueriesContext(connection) as claiming:
        lease = engine.claim(queued.pk)
    assert lease
    _assert_workflow_first(_lock_sequence(claiming.captured_queries))

    with CaptureQueriesContext(connection) as finishing:
        engine.finish(queued.pk, lease, RunStatus.SUCCEEDED)
    _assert_workflow_first(_lock_sequence(finishing.captured_queries))

    other = actions.request_run(workflow, Trigger.MANUAL)
    with CaptureQueriesContext(connection) as cancelling:
        actions.cancel_run(other)
    _assert_workflow_first(_lock_sequence(cancelling.captured_queries))

    stale = actions.request_run(workflow, Trigger.MANUAL)
    engine.claim(stale.pk)
    Run.objects.filter(pk=stale.pk).update(heartbeat_at=stale.queued_at.replace(year=2000))
    with CaptureQueriesContext(connection) as sweeping:
        assert actions.requeue_stale_runs() == [stale.pk]
    _assert_workflow_first(_lock_sequence(sweeping.captured_queries))


def _in_thread(errors: list, target, *args):
    def body():
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=body)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_trigger_events_against_busy_claimers_neither_deadlocks_nor_drops_an_event(workflow, no_dispatch):
    """Two trigger threads queue 40 targeted runs (merging into the queued one) while two worker threads
    claim and finish runs as fast as they can: the two-rows-two-orders pattern, many times over."""
    events = [str(i) for i in range(40)]
    errors: list[Exception] = []
    handled: list[str] = []
    done = threading.Event()

    def trigger(ids):
        for record_id in ids:
            actions.request_run(workflow, Trigger.EVENT, {"record_ids": [record_id]})

    def work():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            queued = list(Run.objects.filter(status=RunStatus.QUEUED).order_by("pk").values_list("pk", flat=True))
            if not queued and done.is_set():
                return
            for run_id in queued:
                lease = engine.claim(run_id)
                if lease is None:
                    continue
                handled.extend(Run.objects.get(pk=run_id).params.get("record_ids", []))
                engine.finish(run_id, lease, RunStatus.SUCCEEDED)

    triggers = [_in_thread(errors, trigger, events[0::2]), _in_thread(errors, trigger, events[1::2])]
    workers = [_in_thread(errors, work), _in_thread(errors, work)]
    for thread in workers + triggers:
        thread.start()
    for thread in triggers:
        thread.join(60)
    done.set()
    for thread in workers:
        thread.join(60)

    assert errors == []
    assert sorted(handled, key=int) == events  # every event's record synced once: none lost, none twice
    assert not Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_trigger_consumer_retries_an_event_whose_transaction_lost_a_race(workflow, monkeypatch, no_dispatch):
    from django.db import OperationalError

    actions.update_workflow(workflow, realtime=True, event_types=["inventory.updated"])
    source = workflow.nodes.get(kind="source")
    real = actions.trigger_from_event
    calls = []

    def flaky(event):
        calls.append(event["event_id"])
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real(event)

    monkeypatch.setattr(trigger_consumer, "trigger_from_event", flaky)
    event = {
        "event_id": "evt-1",
        "type": "inventory.updated",
        "organization_id": workflow.organization_id,
        "data": {"record_ids": ["7"], "connection_id": source.connection_id},
        "occurred_at": "2026-01-01T00:00:00Z",
    }
    assert trigger_consumer.handle_event(event) == 1
    assert calls == ["evt-1", "evt-1"]
    run = Run.objects.get(workflow=workflow)
    assert (run.trigger, run.params["record_ids"]) == (Trigger.EVENT, ["7"])
