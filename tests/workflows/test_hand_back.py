"""A batch that fails transiently is handed back to its checkpoint: the worker does not sleep through the
backoff, the run's task is queued again with a countdown, and the next claim resumes from the checkpoint."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.base import TransientError
from tests.workflows.fakes import FakeShopConnector
from tests.workflows.helpers import run_to_end, waiting
from workflows import actions, conf, engine
from workflows.models import Lineage, Run, RunStatus, Trigger


@pytest.fixture
def no_sleeping(monkeypatch):
    """Any sleep in the engine fails the test (the hardened client's own retries are not the engine's)."""
    slept: list[float] = []
    monkeypatch.setattr(engine, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture
def second_write_fails_once(monkeypatch):
    """The destination's second batch answers 503 with Retry-After 30 once; reads are recorded by cursor."""
    real_write, real_read = FakeShopConnector.write, FakeShopConnector.read
    writes, reads = [], []

    def write(self, stream, records, *, context=None):
        writes.append(len(records))
        if len(writes) == 2:
            raise TransientError("FakeShop answered 503", status=503, retry_after=30)
        return real_write(self, stream, records, context=context)

    def read(self, stream, *, cursor=None, page_size=None, ids=None):
        reads.append(cursor)
        yield from real_read(self, stream, cursor=cursor, page_size=page_size, ids=ids)

    monkeypatch.setattr(FakeShopConnector, "write", write)
    monkeypatch.setattr(FakeShopConnector, "read", read)
    return types.SimpleNamespace(writes=writes, reads=reads)


@pytest.mark.django_db
def test_a_failed_batch_is_handed_back_with_a_countdown_and_resumes_from_its_checkpoint(
    workflow, destination_sandbox, countdowns, no_sleeping, second_write_fails_once, django_capture_on_commit_callbacks
):
    run = actions.request_run(workflow, Trigger.MANUAL)

    with django_capture_on_commit_callbacks(execute=True):
        engine.execute_run(run.pk)

    run.refresh_from_db()
    assert no_sleeping == []  # the worker is free at once
    assert waiting(run) and (run.retries, run.batches, run.written_count) == (1, 1, 10)
    assert countdowns == [(run.pk, 30.0)]  # Retry-After honoured, through Celery's countdown
    assert run.retry_at - run.heartbeat_at == timedelta(seconds=30)  # handed back at `heartbeat_at`
    checkpoint = run.checkpoint
    assert checkpoint == '{"offset": 10}'
    assert "attempt 1 of 5" in run.error_summary and "retrying in 30.0 s" in run.error_summary
    workflow.refresh_from_db()
    assert workflow.status_state == "degraded" and "FakeShop answered 503" in workflow.status_reason

    # A duplicate delivery of the task (acks_late) before the countdown leaves the run alone.
    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert waiting(run) and run.attempts == 1 and len(second_write_fails_once.writes) == 2

    run = run_to_end(run.pk)  # the countdown's task
    assert (run.status, run.attempts, run.retries, run.error_summary) == (RunStatus.SUCCEEDED, 2, 0, "")
    # Every record created once: the batch handed back was written again whole, under the same keys.
    assert run.written_count == 25 and sorted(set(destination_sandbox.app.creates.values())) == [1]
    assert len(destination_sandbox.app.creates) == 25
    assert second_write_fails_once.reads == [None, checkpoint]  # the second claim read from the checkpoint
    assert Lineage.objects.filter(workflow=workflow).count() == 25
    assert no_sleeping == []


@pytest.mark.django_db
def test_a_destination_that_stays_down_fails_after_the_stated_worst_case(
    workflow, destination_sandbox, countdowns, no_sleeping, django_capture_on_commit_callbacks
):
    destination_sandbox.app.knobs.fail_next = [503] * 1000
    with django_capture_on_commit_callbacks(execute=True):
        run = run_to_end(actions.request_run(workflow, Trigger.MANUAL).pk)

    assert run.status == RunStatus.FAILED
    assert run.error_summary.startswith(f"Writing to {workflow.nodes.get(kind='destination').label} failed after 5")
    # 1 + RETRY_ATTEMPTS claims, each handing back once but the last; no sleep in between.
    assert (run.attempts, len(countdowns)) == (conf.RETRY_ATTEMPTS + 1, conf.RETRY_ATTEMPTS)
    assert [c for _, c in countdowns] == [engine._backoff(n) for n in range(conf.RETRY_ATTEMPTS)]
    assert no_sleeping == []


@pytest.mark.django_db
def test_the_sweeper_leaves_a_handed_back_run_alone_until_its_countdown_message_is_overdue(
    workflow, countdowns, second_write_fails_once
):
    run = actions.request_run(workflow, Trigger.MANUAL)
    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert waiting(run)
    long_ago = timezone.now() - timedelta(seconds=conf.STALE_AFTER_SECONDS * 3)

    # Its heartbeat is old but the countdown has not run out: not stale.
    Run.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)
    assert actions.requeue_stale_runs() == []

    # The countdown's message got lost (the worker holding it died): once `retry_at` is STALE_AFTER old,
    # the sweeper queues the run again, and it resumes from its checkpoint.
    Run.objects.filter(pk=run.pk).update(retry_at=long_ago)
    assert actions.requeue_stale_runs() == [run.pk]
    run = run_to_end(run.pk)
    assert (run.status, run.written_count) == (RunStatus.SUCCEEDED, 25)
    assert second_write_fails_once.reads[-1] == '{"offset": 10}'


@pytest.mark.django_db
def test_without_a_broker_the_caller_runs_the_retry_itself(
    workflow, countdowns, no_sleeping, second_write_fails_once, monkeypatch
):
    """Tasks inline (no broker): nobody else would pick the run up, so `execute_run` waits the backoff out
    and resumes it in the same call."""
    from workflows import lifecycle

    monkeypatch.setattr(lifecycle, "tasks_inline", lambda: True)
    run = actions.request_run(workflow, Trigger.MANUAL)

    def sleep(seconds):  # the backoff passes without the test waiting for it
        no_sleeping.append(seconds)
        Run.objects.filter(pk=run.pk).update(retry_at=timezone.now())

    monkeypatch.setattr(engine, "time", types.SimpleNamespace(sleep=sleep))
    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.written_count) == (RunStatus.SUCCEEDED, 2, 25)
    assert no_sleeping == [30.0] and countdowns == []


@pytest.mark.django_db
def test_a_worker_that_finishes_a_run_starts_the_next_queued_one_itself(workflow, monkeypatch):
    """The next queued run of the workflow follows in the same task (no broker round trip between the runs
    of a burst), up to CHAIN_RUNS."""
    first = actions.request_run(workflow, Trigger.MANUAL)
    second = actions.request_run(workflow, Trigger.BACKFILL, {"since": "2000-01-01"})
    third = actions.request_run(workflow, Trigger.EVENT, {"record_ids": ["3"]})
    monkeypatch.setattr(conf, "CHAIN_RUNS", 1)

    assert engine.execute_run(first.pk).pk == first.pk

    statuses = {r.pk: r.status for r in Run.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert statuses == {first.pk: RunStatus.SUCCEEDED, second.pk: RunStatus.SUCCEEDED, third.pk: RunStatus.QUEUED}
    # The task the finished run dispatched through the broker for the chained run finds it done: no rerun.
    assert engine.execute_run(second.pk) is None


@pytest.mark.django_db
def test_a_batch_handed_back_for_some_records_keeps_what_it_wrote_and_sends_only_those_again(
    workflow, destination_sandbox, countdowns, no_sleeping, monkeypatch
):
    from connectors.base import WriteResult

    real_write = FakeShopConnector.write
    sent: list[list[str]] = []

    def write(self, stream, records, *, context=None):
        sent.append(list(context["source_ids"]))
        results = real_write(self, stream, records, context=context)
        if len(sent) == 2:  # the second batch: its third record answers 429 (the others were written)
            results[2] = WriteResult(ok=False, key=results[2].key, error=TransientError("slow down", status=429))
        return results

    monkeypatch.setattr(FakeShopConnector, "write", write)
    run = actions.request_run(workflow, Trigger.MANUAL)
    engine.execute_run(run.pk)

    run.refresh_from_db()
    assert waiting(run) and (run.batches, run.checkpoint) == (1, '{"offset": 10}')  # the cursor stayed
    assert (run.written_count, Lineage.objects.filter(workflow=workflow).count()) == (19, 19)
    victim = sent[1][2]

    run = run_to_end(run.pk)
    assert (run.status, run.written_count) == (RunStatus.SUCCEEDED, 25)
    assert sent[2] == [victim]  # the batch read again sent only the record that failed
    assert Lineage.objects.filter(workflow=workflow).count() == 25
    # Each record is counted, and explained, once: the nine the batch wrote before it was handed back are
    # not "unchanged" again when it is read again.
    assert (run.read_count, run.mapped_count, run.written_count, run.skipped_count) == (25, 25, 25, 0)
    assert run.outcomes.count() == 25
    assert no_sleeping == []
