"""The run loop against the fake vendor over real HTTP: batches, idempotency, errors, retries, leases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from ekyam.events.models import OutboxEvent
from tests.workflows.helpers import run_to_end
from workflows import actions, engine, lineage
from workflows.models import Lineage, RecordError, Run, RunStatus, StreamCursor, Trigger


def run_now(workflow, trigger=Trigger.MANUAL, params=None) -> Run:
    run = actions.request_run(workflow, trigger, params)
    return run_to_end(run.pk)


@pytest.mark.django_db
def test_run_writes_every_record_field_by_field_and_checkpoints(workflow, source_sandbox, destination_sandbox):
    run = run_now(workflow)

    assert run.status == RunStatus.SUCCEEDED
    assert (run.read_count, run.mapped_count, run.written_count, run.failed_count) == (25, 25, 25, 0)
    assert run.batches == 3 and run.read_mapping_version_id == 90011 and run.write_mapping_version_id == 90021
    written = destination_sandbox.app.written
    assert written["fakeshop:items:7"] == {"sku": "SKU-00007", "quantity": 7}
    assert len(written) == 25
    assert Lineage.objects.filter(workflow=workflow).count() == 25
    lineage = Lineage.objects.get(workflow=workflow, source_id="7")
    assert (lineage.destination_system, lineage.destination_id, lineage.run_id) == ("fakeshop", "D7", run.pk)
    assert json.loads(StreamCursor.objects.get(workflow=workflow, stream="items").cursor) == {"offset": 25}
    types = list(OutboxEvent.objects.filter(organization=workflow.organization).values_list("type", flat=True))
    assert types.count("inventory.updated") == 25
    assert "workflow.run.started" in types and "workflow.run.succeeded" in types


@pytest.mark.django_db
def test_rerun_from_the_start_writes_nothing_new(workflow, destination_sandbox):
    run_now(workflow)
    requests_before = destination_sandbox.app.write_requests

    again = run_now(workflow, Trigger.BACKFILL, {"since": "2020-01-01"})

    assert again.status == RunStatus.SUCCEEDED
    assert (again.read_count, again.written_count, again.skipped_count) == (25, 0, 25)
    assert destination_sandbox.app.write_requests == requests_before
    assert set(destination_sandbox.app.creates.values()) == {1}


@pytest.mark.django_db
def test_incremental_run_resumes_after_the_cursor(workflow, source_sandbox):
    run_now(workflow)
    source_sandbox.app.items.append({"id": "26", "sku": "SKU-00026", "qty": 3})

    second = run_now(workflow)

    assert (second.read_count, second.written_count) == (1, 1)


@pytest.mark.django_db
def test_bad_record_is_isolated_retried_after_edit_and_resolved(workflow, source_sandbox, destination_sandbox):
    source_sandbox.app.items[2]["qty"] = "three"

    run = run_now(workflow)

    assert run.status == RunStatus.PARTIAL
    assert (run.written_count, run.failed_count) == (24, 1)
    error = RecordError.objects.get(workflow=workflow)
    assert error.trace_key == "fakeshop:items:3" and error.error_class == "validation" and error.stage == "read_mapping"
    assert error.source_payload == {"id": "3", "sku": "SKU-00003", "qty": "three"}
    assert "available" in error.message and "qty" in error.message
    assert "Last run partial: 1 record rejected" in actions.refresh_status(workflow)["reason"]

    retry = actions.retry_record_errors([error], edited_payload={"id": "3", "sku": "SKU-00003", "qty": 3})
    engine.execute_run(retry.pk)
    retry.refresh_from_db()

    assert (retry.trigger, retry.status, retry.written_count) == (Trigger.RETRY, RunStatus.SUCCEEDED, 1)
    error.refresh_from_db()
    assert (error.status, error.resolution, error.resolved_by_run_id) == ("resolved", "auto", retry.pk)
    assert destination_sandbox.app.written["fakeshop:items:3"] == {"sku": "SKU-00003", "quantity": 3}


@pytest.mark.django_db
def test_error_auto_resolves_when_the_same_record_later_succeeds(workflow, source_sandbox):
    source_sandbox.app.items[4]["qty"] = None
    run_now(workflow)
    run_now(workflow, Trigger.BACKFILL)  # fails again: still one open error, seen twice
    error = RecordError.objects.get(workflow=workflow)
    assert (error.status, error.occurrences) == ("open", 2)

    source_sandbox.app.items[4]["qty"] = 5
    run_now(workflow, Trigger.BACKFILL)

    error.refresh_from_db()
    assert (error.status, error.resolution) == ("resolved", "auto")


@pytest.mark.django_db
def test_destination_rejection_becomes_a_record_error(workflow, source_sandbox):
    source_sandbox.app.items[0]["qty"] = 20_000

    run = run_now(workflow)

    assert (run.status, run.written_count, run.failed_count) == (RunStatus.PARTIAL, 24, 1)
    error = RecordError.objects.get(workflow=workflow)
    assert (error.stage, error.error_class, error.message) == ("write", "validation", "quantity too large")
    assert OutboxEvent.objects.filter(type="record_error.created", payload__record_error_id=error.pk).exists()


@pytest.mark.django_db
def test_transient_failures_retry_inside_the_run(workflow, destination_sandbox):
    destination_sandbox.app.knobs.fail_next = [503, 429, 503]

    run = run_now(workflow)

    assert (run.status, run.written_count) == (RunStatus.SUCCEEDED, 25)


@pytest.mark.django_db
def test_destination_down_fails_the_run_with_a_clear_summary(workflow, destination_sandbox):
    destination_sandbox.app.knobs.fail_next = [503] * 20

    run = run_now(workflow)

    assert run.status == RunStatus.FAILED
    assert "failed after 5 attempts" in run.error_summary
    assert OutboxEvent.objects.filter(type="workflow.run.failed", payload__run_id=run.pk).exists()


@pytest.mark.django_db
def test_consecutive_failures_pause_the_workflow(workflow, destination_sandbox):
    workflow.max_consecutive_failures = 2
    workflow.save()
    destination_sandbox.app.knobs.fail_next = [503] * 100

    run_now(workflow)
    workflow.refresh_from_db()
    assert workflow.enabled
    run_now(workflow)

    workflow.refresh_from_db()
    assert not workflow.enabled and "Paused after 2 failed runs in a row" in workflow.paused_reason
    assert not workflow.periodic_task.enabled
    assert workflow.status_state == "off"


@pytest.mark.django_db
def test_one_run_per_workflow_second_trigger_waits_and_merges(workflow):
    first = actions.request_run(workflow)
    lease = engine.claim(first.pk)
    assert lease

    second = actions.request_run(workflow, Trigger.SCHEDULE)
    assert second.pk != first.pk
    assert actions.request_run(workflow) == second  # merged into the queued one
    assert engine.claim(second.pk) is None  # never in parallel on the same cursor
    assert engine.claim(first.pk) is None  # a duplicate delivery of a live run does nothing

    engine.finish(first.pk, lease, RunStatus.SUCCEEDED)
    assert engine.claim(second.pk)


@pytest.mark.django_db
def test_stale_run_is_requeued_and_the_old_holder_loses_its_lease(workflow):
    run = actions.request_run(workflow)
    old_lease = engine.claim(run.pk)
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    assert actions.requeue_stale_runs() == [run.pk]
    executor = engine.RunExecutor(Run.objects.get(pk=run.pk), old_lease)
    new_lease = engine.claim(run.pk)
    assert new_lease and new_lease != old_lease

    with pytest.raises(engine.LeaseLost):
        executor.commit(engine.Outcome(read=1), cursor='{"offset": 1}')
    engine.execute_run  # noqa: B018 - the new holder goes on normally below
    executor = engine.RunExecutor(Run.objects.get(pk=run.pk), new_lease)
    assert executor.execute() == RunStatus.SUCCEEDED
    assert Run.objects.get(pk=run.pk).attempts == 2


@pytest.mark.django_db
def test_cancel_stops_at_the_batch_boundary(workflow, destination_sandbox):
    queued = actions.request_run(workflow)
    actions.cancel_run(queued)
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED

    run = actions.request_run(workflow)
    engine.claim(run.pk)
    actions.cancel_run(run)
    run.refresh_from_db()
    lease = run.lease
    status = engine.RunExecutor(run, lease).execute()
    assert status == RunStatus.CANCELLED
    assert destination_sandbox.app.written == {}


def _inventory_event(workflow, record_ids: list[str]) -> dict:
    """Turns on real-time triggering for inventory.updated; returns such an event from its source."""
    actions.update_workflow(workflow, realtime=True, event_types=["inventory.updated"])
    return {
        "event_id": "e1",
        "type": "inventory.updated",
        "organization_id": workflow.organization_id,
        "data": {
            "connection_id": workflow.node("source").connection_id,
            "vendor": "fakeshop",
            "record_ids": record_ids,
        },
    }


@pytest.mark.django_db
def test_event_triggers_a_targeted_sync_of_just_those_records(workflow, destination_sandbox):
    event = _inventory_event(workflow, ["4", "9"])

    runs = actions.trigger_from_event(event)
    assert len(runs) == 1 and runs[0].params["record_ids"] == ["4", "9"]
    # a second event while queued merges into the same targeted run
    actions.trigger_from_event({**event, "event_id": "e2", "data": {**event["data"], "record_ids": ["11"]}})
    engine.execute_run(runs[0].pk)
    run = Run.objects.get(pk=runs[0].pk)

    assert (run.trigger, run.read_count, run.written_count) == (Trigger.EVENT, 3, 3)
    assert set(destination_sandbox.app.written) == {"fakeshop:items:4", "fakeshop:items:9", "fakeshop:items:11"}
    # events that a sync emitted itself, other organizations and other types start nothing
    assert actions.trigger_from_event({**event, "data": {**event["data"], "workflow_id": workflow.pk}}) == []
    assert actions.trigger_from_event({**event, "type": "product.synced"}) == []
    assert actions.trigger_from_event({**event, "organization_id": workflow.organization_id + 999}) == []


@pytest.mark.django_db
def test_an_event_naming_no_records_starts_an_incremental_sync_labelled_as_an_event(workflow, destination_sandbox):
    event = _inventory_event(workflow, [])

    [run] = actions.trigger_from_event(event)
    assert run.trigger == Trigger.EVENT_SYNC and run.params["event_id"] == "e1"
    # Like any incremental sync, it merges with a scheduled run queued meanwhile.
    assert actions.request_run(workflow, Trigger.SCHEDULE).pk == run.pk
    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.written_count == len(destination_sandbox.app.written) > 0
    assert run.get_trigger_display() == "Real-time event (incremental)"


@pytest.mark.django_db
def test_lineage_search_finds_the_path_by_any_id(workflow):
    run_now(workflow)

    by_source = list(lineage.search_lineage(workflow.organization, "12"))
    by_destination = list(lineage.search_lineage(workflow.organization, "D12"))

    assert [r.source_key for r in by_source] == ["fakeshop:items:12"]
    assert by_destination == by_source
    assert list(lineage.search_lineage(workflow.organization, "nothing")) == []


@pytest.mark.django_db
def test_connection_status_event_updates_the_sign_at_once(workflow):
    from connectors.models import Connection, ConnectionStatus

    actions.refresh_status(workflow)
    workflow.refresh_from_db()
    assert "authentication" not in workflow.status_reason  # verified connections to begin with
    source = workflow.node("source")
    Connection.objects.filter(pk=source.connection_id).update(status=ConnectionStatus.UNVERIFIED)
    event = {
        "type": "connection.status.changed",
        "organization_id": workflow.organization_id,
        "data": {"connection_id": source.connection_id, "status": "unverified"},
    }
    assert actions.trigger_from_event(event) == []  # no run, only the sign
    workflow.refresh_from_db()
    assert workflow.status_state == "not_configured" and "authentication" in workflow.status_reason


@pytest.mark.django_db
def test_with_tracing_on_every_event_of_a_run_belongs_to_the_runs_trace(workflow):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from ekyam.events import tracing

    exporter = InMemorySpanExporter()
    tracing.configure(exporter, batch=False)
    try:
        run = run_now(workflow)
    finally:
        tracing.shutdown()
    (run_span,) = (s for s in exporter.get_finished_spans() if s.name == "workflow.run")
    assert run_span.attributes["ekyam.run.id"] == run.pk
    trace_id = f"{run_span.context.trace_id:032x}"
    # The events emitted while the run executed (not those of setting it up and requesting it).
    started = datetime.fromtimestamp(run_span.start_time / 1e9, tz=UTC)
    contexts = list(
        OutboxEvent.objects.filter(organization=workflow.organization, occurred_at__gte=started).values_list(
            "trace_context", flat=True
        )
    )
    assert len(contexts) >= 26  # 25 records and the run's end
    assert {context.split("-")[1] for context in contexts} == {trace_id}
    emits = [s for s in exporter.get_finished_spans() if s.name.startswith("emit ")]
    in_run = [s for s in emits if s.parent is not None and s.parent.span_id == run_span.context.span_id]
    assert len(in_run) == len(contexts)
