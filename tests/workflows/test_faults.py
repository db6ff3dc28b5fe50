"""The engine under faults: retries that fail again, unreadable records, NUL characters, oversized values."""

from __future__ import annotations

import pytest

from workflows import actions, engine
from workflows.models import RecordError, Run, RunStatus, Trigger


def run_now(workflow, trigger=Trigger.MANUAL, params=None) -> Run:
    run = actions.request_run(workflow, trigger, params)
    engine.execute_run(run.pk)
    run.refresh_from_db()
    return run


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
