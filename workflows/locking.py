"""The one lock order of the workflow engine: a workflow row before any of its run rows.

Every transaction that changes a run's state together with its workflow (queuing, claiming, finishing,
cancelling, requeuing a stale run, queuing a retry of record errors) takes the workflow row first, so two
such transactions wait in line instead of on each other. Record-error rows come after both.
"""

from __future__ import annotations

from django.db import connection

from workflows.models import Run, Workflow


def lock_run(run_id: int, *, skip_locked: bool = False) -> tuple[Workflow, Run] | None:
    """Lock a run for a state change, in the one lock order of the engine: the workflow row first, then
    the run row. Queuing a run (`actions.request_run`) locks the workflow and then writes its runs, so
    taking the run first here would let the two wait on each other (a deadlock under trigger bursts).
    Must be called inside a transaction. With `skip_locked`, None when another transaction holds either
    row (a sweeper's claim: whoever holds the rows is already handling the run)."""
    workflow_id = Run.objects.filter(pk=run_id).values_list("workflow_id", flat=True).first()
    if workflow_id is None:
        return None
    skip = skip_locked and connection.features.has_select_for_update_skip_locked
    workflow = Workflow.objects.select_for_update(skip_locked=skip).filter(pk=workflow_id).first()
    run = Run.objects.select_for_update(skip_locked=skip).filter(pk=run_id).first() if workflow else None
    if workflow is None or run is None:
        return None
    return workflow, run
