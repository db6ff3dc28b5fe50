"""Celery tasks: each takes ids, calls one action, and is safe to run twice."""

from celery import shared_task


@shared_task(name="workflows.run_workflow", acks_late=True)
def run_workflow(run_id: int) -> None:
    from workflows.engine import execute_run

    execute_run(run_id)


@shared_task(name="workflows.scheduled_run")
def scheduled_run(workflow_id: int) -> None:
    from workflows.actions import scheduled_run as queue_scheduled_run

    queue_scheduled_run(workflow_id)


@shared_task(name="workflows.requeue_stale_runs")
def requeue_stale_runs() -> None:
    from workflows.actions import requeue_stale_runs as requeue

    requeue()


@shared_task(name="workflows.refresh_statuses")
def refresh_statuses() -> None:
    from workflows.actions import refresh_all_statuses

    refresh_all_statuses()
