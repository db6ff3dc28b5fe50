"""The workflow state changes that both the engine and the actions make: the derived status stored,
a pause, a run queued.

Runs are queued by task name (`RUN_WORKFLOW`, defined in `workflows.tasks`, which runs the engine):
tasks → engine → lifecycle stays a straight line instead of a cycle through the task module.
`WorkflowsConfig.ready` imports `workflows.tasks`, so the name is always registered (and eager mode
in tests still runs the task in process).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ekyam.celery import app as celery_app
from workflows import events as wf_events
from workflows import live
from workflows.models import Run, RunStatus, Workflow
from workflows.status import derive

RUN_WORKFLOW = "workflows.run_workflow"


def tasks_inline() -> bool:
    """No broker: tasks run in the caller's process as they are queued (`CELERY_TASK_ALWAYS_EAGER`)."""
    return bool(celery_app.conf.task_always_eager)


def queue_run(run_id: int, countdown: float | None = None) -> None:
    """Queue the run's task; with `countdown`, to start that many seconds from now (a handed-back batch)."""
    task = celery_app.tasks[RUN_WORKFLOW]
    if countdown is None:
        task.delay(run_id)
    else:
        task.apply_async((run_id,), countdown=countdown)


def queue_run_on_commit(run_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: queue_run(run_id, countdown))


def next_queued(workflow_id: int) -> int | None:
    """The workflow's oldest queued run, the one to start after the previous one finished."""
    return (
        Run.objects.filter(workflow_id=workflow_id, status=RunStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def dispatch_next(workflow_id: int) -> None:
    """Queue the task of the workflow's oldest queued run (after the previous one finished)."""
    run_id = next_queued(workflow_id)
    if run_id is not None:
        queue_run(run_id)


def refresh_status(workflow: Workflow) -> dict:
    """Derive the status; when it changed, store it and emit `workflow.status.changed` (same transaction)."""
    status = derive(workflow)
    if (status["state"], status["reason"][:300]) != (workflow.status_state, workflow.status_reason):
        previous = workflow.status_state
        workflow.status_state = status["state"]
        workflow.status_reason = status["reason"][:300]
        workflow.status_changed_at = timezone.now()
        Workflow.objects.filter(pk=workflow.pk).update(
            status_state=workflow.status_state,
            status_reason=workflow.status_reason,
            status_changed_at=workflow.status_changed_at,
        )
        wf_events.status_changed(workflow, previous, status)
        live.push_on_commit(workflow.pk)
    return status


@transaction.atomic
def pause_workflow(workflow: Workflow, *, reason: str = "Paused by a user.") -> Workflow:
    Workflow.objects.filter(pk=workflow.pk).update(enabled=False, paused_reason=reason[:300])
    workflow.enabled, workflow.paused_reason = False, reason[:300]
    if workflow.periodic_task_id:
        type(workflow.periodic_task).objects.filter(pk=workflow.periodic_task_id).update(enabled=False)
        workflow.periodic_task.enabled = False
    refresh_status(workflow)
    return workflow
