"""Celery tasks: each takes ids, calls one action, and is safe to run twice."""

from celery import shared_task

from workflows import actions, lifecycle, outcomes
from workflows.engine import execute_run


@shared_task(name=lifecycle.RUN_WORKFLOW, acks_late=True)
def run_workflow(run_id: int) -> None:
    execute_run(run_id)


@shared_task(name="workflows.scheduled_run")
def scheduled_run(workflow_id: int) -> None:
    actions.scheduled_run(workflow_id)


@shared_task(name="workflows.requeue_stale_runs")
def requeue_stale_runs() -> None:
    actions.requeue_stale_runs()


@shared_task(name="workflows.refresh_statuses")
def refresh_statuses() -> None:
    actions.refresh_all_statuses()


@shared_task(name="workflows.prune_outcomes")
def prune_outcomes() -> int:
    return outcomes.prune()
