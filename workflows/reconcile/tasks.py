"""Celery tasks: each takes an id, calls one action, and is safe to run twice."""

from celery import shared_task

from workflows.reconcile import actions, dryrun, reconciliation


@shared_task(name=actions.RUN_RECONCILIATION, acks_late=True)
def run_reconciliation(report_id: int) -> None:
    reconciliation.do_reconcile(report_id)


@shared_task(name=actions.RUN_DRY_RUN, acks_late=True)
def run_dry_run(plan_id: int) -> None:
    dryrun.do_dry_run(plan_id)


@shared_task(name=actions.SCHEDULED_TASK)
def scheduled_reconciliation(workflow_id: int) -> None:
    actions.scheduled_reconciliation(workflow_id)


@shared_task(name="reconcile.fail_stale_jobs")
def fail_stale_jobs() -> None:
    actions.fail_stale_jobs()
