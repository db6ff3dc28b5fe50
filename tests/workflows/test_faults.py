"""The engine under faults: retries that fail again, unreadable records, NUL characters, oversized values."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from ekyam.events.models import OutboxEvent
from tests.sandboxes import fast_backoff  # noqa: F401  (autouse here)
from tests.workflows.helpers import run_to_end
from tests.workflows.test_seed_flows import shipment_sync_fixture
from workflows import actions, conf, engine, tasks
from workflows.models import RecordError, Run, RunStatus, Trigger


def run_now(workflow, trigger=Trigger.MANUAL, params=None) -> Run:
    run = actions.request_run(workflow, trigger, params)
    return run_to_end(run.pk)


@pytest.mark.django_db
def test_failed_retries_of_one_record_do_not_pause_the_workflow(workflow, source_sandbox):
    actions.update_workflow(workflow, max_consecutive_failures=3)
    source_sandbox.app.items[2]["qty"] = "three"
    assert run_now(workflow).status == RunStatus.PARTIAL
    error = RecordError.objects.get(workflow=workflow)

    for _ in range(5):
        retry = actions.retry_record_errors([error])
        engine.execute_run(retry.pk)
        retry.refresh_from_db()
        assert (retry.trigger, retry.status, retry.failed_count) == (Trigger.RETRY, RunStatus.FAILED, 1)

    workflow.refresh_from_db()
    assert (workflow.enabled, workflow.consecutive_failures, workflow.paused_reason) == (True, 0, "")
    error.refresh_from_db()
    assert (error.status, error.occurrences) == ("open", 6)


@pytest.mark.django_db(transaction=True)
def test_a_batch_slower_than_the_stale_threshold_keeps_its_run_alive(workflow, destination_sandbox, monkeypatch):
    """The heartbeat beats inside a slow batch: the sweeper leaves the live run alone (before, only a batch
    commit renewed it, so the stale threshold had to exceed the slowest batch: 5 minutes)."""
    monkeypatch.setattr(conf, "STALE_AFTER_SECONDS", 1)
    monkeypatch.setattr(conf, "HEARTBEAT_SECONDS", 0.2)
    destination_sandbox.app.knobs.latency_ms = 2500  # every batch's write takes longer than the threshold
    run = actions.request_run(workflow, Trigger.MANUAL)
    worker = threading.Thread(target=lambda: (engine.execute_run(run.pk), connections.close_all()))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        swept = []
        while time.monotonic() < deadline and not Run.objects.get(pk=run.pk).is_finished:
            swept += actions.requeue_stale_runs()
            time.sleep(0.3)
    finally:
        destination_sandbox.app.knobs.latency_ms = 0
        worker.join(60)
    run.refresh_from_db()
    assert swept == []
    assert (run.status, run.attempts, run.written_count) == (RunStatus.SUCCEEDED, 1, 25)


@pytest.mark.django_db
def test_a_run_without_heartbeat_is_requeued_once_stale(workflow, monkeypatch):
    monkeypatch.setattr(tasks.run_workflow, "delay", lambda *a, **k: None)
    run = actions.request_run(workflow, Trigger.MANUAL)
    assert engine.claim(run.pk)  # claimed by a worker that then died: nothing renews the heartbeat
    assert actions.requeue_stale_runs() == []
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=conf.STALE_AFTER_SECONDS + 1))
    assert actions.requeue_stale_runs() == [run.pk]
    assert Run.objects.get(pk=run.pk).status == RunStatus.QUEUED


def test_recovery_settings_are_stated_and_consistent():
    from django.conf import settings

    from workflows.schedules import BEAT_SCHEDULE

    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > conf.STALE_AFTER_SECONDS
    assert conf.HEARTBEAT_SECONDS <= conf.STALE_AFTER_SECONDS / 3
    sweep = BEAT_SCHEDULE["workflows-requeue-stale-runs"]["schedule"]
    assert sweep == conf.SWEEP_SECONDS
    assert conf.STALE_AFTER_SECONDS + sweep <= 60  # a killed run resumes within about a minute


@pytest.mark.django_db
def test_a_record_with_a_nul_character_is_rejected_before_any_write(workflow, source_sandbox, destination_sandbox):
    source_sandbox.app.items[2]["sku"] = "SKU-\x0000003"
    source_sandbox.app.items[4].update(qty="five", note={"memo": "a\x00b"})  # also fails its mapping

    run = run_now(workflow)

    assert (run.status, run.written_count, run.failed_count) == (RunStatus.PARTIAL, 23, 2)
    assert "fakeshop:items:3" not in destination_sandbox.app.written
    errors = {e.trace_key: e for e in RecordError.objects.filter(workflow=workflow)}
    third, fifth = errors["fakeshop:items:3"], errors["fakeshop:items:5"]
    assert third.message.startswith("sku: contains a NUL character") and third.stage == "read"
    assert third.error_class == "validation" and third.source_payload["sku"] == "SKU-\ufffd00003"
    assert fifth.message.startswith("note.memo: contains a NUL character")
    assert "SELECT" not in run.error_summary and "INSERT" not in run.error_summary
    # the stream went on: events for the other records, the workflow still on
    assert OutboxEvent.objects.filter(type="inventory.updated").count() == 23
    workflow.refresh_from_db()
    assert workflow.enabled and workflow.consecutive_failures == 0


@pytest.mark.django_db
def test_an_oversized_value_is_a_record_error_naming_the_field(workflow, source_sandbox, destination_sandbox):
    source_sandbox.app.items[1]["sku"] = "S" * 1_000_000  # the inventory standard's sku is at most 255 characters

    run = run_now(workflow)

    assert (run.status, run.written_count, run.failed_count) == (RunStatus.PARTIAL, 24, 1)
    error = RecordError.objects.get(workflow=workflow)
    assert error.message.startswith("sku: must be at most 255 characters (got 1000000) (source sku = 'SSS")
    assert len(error.message) < 200 and len(json.dumps(error.details)) < 2000
    assert not any(len(k) > 255 for k in destination_sandbox.app.written)


netsuite_whiplash = shipment_sync_fixture(records=12)


@pytest.mark.django_db
def test_one_unreadable_record_becomes_a_record_error_and_the_stream_moves_on(netsuite_whiplash):
    workflow, ns, wl = netsuite_whiplash
    victim = sorted(ns.app.data.ids("itemFulfillment"), key=int)[4]
    ns.app.unreadable = {victim}

    run = run_now(workflow)

    assert run.status == RunStatus.PARTIAL, run.error_summary
    assert (run.written_count, run.failed_count) == (11, 1)
    error = RecordError.objects.get(workflow=workflow)
    assert (error.stage, error.error_class, error.details["source_id"]) == ("read", "transient", victim)
    assert error.message.startswith(f"Could not read shipments {victim}: ")
    # The next incremental runs re-read the overlap window: the unreadable record does not stall them.
    again = run_now(workflow, Trigger.SCHEDULE)
    assert (again.status, again.read_count, again.failed_count) == (RunStatus.SUCCEEDED, 0, 0)

    ns.app.unreadable = set()  # readable again: a retry of the record error reads it by id
    retry = actions.retry_record_errors([error])
    engine.execute_run(retry.pk)
    retry.refresh_from_db()
    assert (retry.status, retry.read_count, retry.written_count) == (RunStatus.SUCCEEDED, 1, 1)
    error.refresh_from_db()
    assert error.status == "resolved"
    assert len(wl.app.orders) == 12


@pytest.mark.django_db
def test_empty_overlap_pages_do_not_reset_the_read_retries_and_the_sign_says_why(workflow, monkeypatch):
    """A reader that re-reads an empty overlap window and then fails, again and again: the run fails after
    its bounded retries (before, each empty page reset the count and the run never ended), and while it
    retries the workflow's sign is amber with the reason."""
    from connectors.base import Page, TransientError
    from tests.workflows.fakes import FakeShopConnector
    from workflows.status import derive

    calls, signs = [], []

    def stuck_read(self, stream, *, cursor=None, page_size=None, ids=None):
        calls.append(cursor)
        if len(calls) > 2:
            workflow.refresh_from_db()
            signs.append(derive(workflow))
        if len(calls) > 20:
            raise RuntimeError("the run does not stop retrying")
        yield Page([], cursor='{"offset": 0}')
        raise TransientError("FakeShop answered 503", status=503)

    monkeypatch.setattr(FakeShopConnector, "read", stuck_read)
    run = run_now(workflow)

    assert run.status == RunStatus.FAILED
    assert run.error_summary.startswith(f"Reading items failed after {conf.RETRY_ATTEMPTS + 1} attempts")
    assert len(calls) == conf.RETRY_ATTEMPTS + 1
    assert signs[0]["state"] == "degraded"
    assert signs[0]["reason"].startswith(f"Run #{run.pk} is stuck: Reading items failed (attempt 2 of")
    assert "FakeShop answered 503" in signs[0]["reason"]


@pytest.mark.django_db
def test_a_targeted_run_that_cannot_read_keeps_its_events_as_retryable_record_errors(workflow, source_sandbox):
    source_sandbox.app.knobs.fail_next = [503] * 200  # the source stays down for the whole run

    run = run_now(workflow, Trigger.EVENT, {"record_ids": ["3", "4"]})

    assert (run.status, run.failed_count) == (RunStatus.FAILED, 2)
    errors = list(RecordError.objects.filter(workflow=workflow).order_by("trace_key"))
    assert [(e.trace_key, e.stage, e.details["source_id"]) for e in errors] == [
        ("fakeshop:items:3", "read", "3"),
        ("fakeshop:items:4", "read", "4"),
    ]
    assert "after 5 attempts" in errors[0].message

    source_sandbox.app.knobs.fail_next = []
    retry = actions.retry_record_errors(errors)
    engine.execute_run(retry.pk)
    retry.refresh_from_db()
    assert (retry.status, retry.read_count, retry.written_count) == (RunStatus.SUCCEEDED, 2, 2)
    assert set(RecordError.objects.filter(workflow=workflow).values_list("status", flat=True)) == {"resolved"}
