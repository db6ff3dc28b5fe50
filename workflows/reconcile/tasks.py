"""Celery tasks: each takes an id, calls one action, and is safe to run twice."""

from celery import shared_task


@shared_task(name="reconcile.run_reconciliation", acks_late=True)
def run_reconciliation(report_id: int) -> None:
    from workflows.reconcile.reconciliation import do_reconcile

    do_reconcile(report_id)


@shared_task(name="reconcile.run_dry_run", acks_late=True)
def run_dry_run(plan_id: int) -> None:
    from workflows.reconcile.dryrun import do_dry_run

    do_dry_run(plan_id)


@shared_task(name="reconcile.scheduled_reconciliation")
def scheduled_reconciliation(workflow_id: int) -> None:
    from workflows.reconcile.actions import scheduled_reconciliation as queue

    queue(workflow_id)


@shared_task(name="reconcile.fail_stale_jobs")
def fail_stale_jobs() -> None:
    from workflows.reconcile.actions import fail_stale_jobs as fail

    fail()
