"""State changes of reconciliation reports and dry-run plans. Views, API, tasks and Beat call these."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Abs
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from connectors.base import ConnectorError, parse_since
from ekyam.alerts import actions as alerts
from ekyam.celery import app as celery_app
from workflows.actions import request_run
from workflows.models import Trigger, Workflow
from workflows.reconcile.flow import Flow, FlowError
from workflows.reconcile.models import (
    ItemStatus,
    JobStatus,
    Plan,
    PlanAction,
    ReconcileSettings,
    Reconciliation,
)

# Tasks are queued by name (defined in `workflows.reconcile.tasks`, which calls these actions): tasks →
# actions stays a straight line. `ReconcileConfig.ready` imports the tasks, so the names are registered.
SCHEDULED_TASK = "reconcile.scheduled_reconciliation"
RUN_RECONCILIATION = "reconcile.run_reconciliation"
RUN_DRY_RUN = "reconcile.run_dry_run"


def _clean_since(since) -> str:
    if since in (None, ""):
        return ""
    try:
        return parse_since(since).isoformat()
    except ConnectorError as exc:
        raise ValidationError({"since": str(getattr(exc, "message", exc))}) from None


def _check_flow(workflow: Workflow) -> None:
    try:
        Flow(workflow)
    except FlowError as exc:
        raise ValidationError(str(exc)) from None


# --- reconciliation ---------------------------------------------------------------------------------------
@transaction.atomic
def request_reconciliation(workflow: Workflow, *, apply: bool = False, since=None, trigger: str = "manual"):
    """Queue a report (the Celery task takes its id, on commit)."""
    _check_flow(workflow)
    report = Reconciliation.objects.create(
        organization_id=workflow.organization_id,
        workflow=workflow,
        apply=bool(apply),
        since=_clean_since(since),
        trigger=trigger,
    )
    report_id = report.pk

    transaction.on_commit(lambda: celery_app.tasks[RUN_RECONCILIATION].delay(report_id))
    return report


def scheduled_reconciliation(workflow_id: int) -> Reconciliation | None:
    settings = ReconcileSettings.objects.filter(workflow_id=workflow_id, schedule_enabled=True).first()
    if settings is None:  # the workflow was deleted or the schedule turned off: the Beat row goes too
        PeriodicTask.objects.filter(name=f"reconcile:{workflow_id}").delete()
        return None
    busy = Reconciliation.objects.filter(workflow_id=workflow_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if busy.exists():
        return None  # the previous one is still going: skip this tick
    return request_reconciliation(settings.workflow, apply=settings.apply_on_schedule, trigger="schedule")


def totals(report: Reconciliation) -> dict:
    counts = dict(report.items.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    drift = report.items.filter(status=ItemStatus.DRIFTED).aggregate(
        net=Sum("units"), absolute=Sum(Abs("units")), correctable=Count("pk", filter=Q(payload__isnull=False))
    )
    return {
        "by_status": {status: counts.get(status, 0) for status in ItemStatus.values},
        "records": sum(counts.values()),
        "net_units": drift["net"] or 0,
        "absolute_units": drift["absolute"] or 0,
        "correctable": drift["correctable"] or 0,
    }


def finish_report(report_id: int, status: str, error: str = "") -> Reconciliation:
    with transaction.atomic():
        report = Reconciliation.objects.select_for_update().get(pk=report_id)
        if report.status != JobStatus.RUNNING:
            return report
        summary = totals(report)
        report.status, report.error, report.phase = status, error[:4000], ""
        report.finished_at = timezone.now()
        report.totals = summary
        report.drifted_count = summary["by_status"][ItemStatus.DRIFTED]
        report.net_units, report.absolute_units = summary["net_units"], summary["absolute_units"]
        report.save()
        if status == JobStatus.SUCCEEDED:
            _alert_on_drift(report)
            if report.apply and summary["correctable"]:
                apply_report(report)
    return report


def _alert_on_drift(report: Reconciliation) -> None:
    settings = ReconcileSettings.objects.filter(workflow_id=report.workflow_id).first()
    if settings is None:
        return
    reasons = []
    if settings.drift_count_threshold is not None and report.drifted_count > settings.drift_count_threshold:
        reasons.append(f"{report.drifted_count} records drifted (threshold {settings.drift_count_threshold})")
    if settings.drift_units_threshold is not None and report.absolute_units > settings.drift_units_threshold:
        reasons.append(f"{report.absolute_units} units of drift (threshold {settings.drift_units_threshold})")
    if not reasons:
        return
    workflow = report.workflow
    alerts.raise_alert(
        workflow.organization,
        "reconciliation_drift",
        f"Drift in {workflow.name!r}: {report.drifted_count} records, net {report.net_units:+d} units",
        "; ".join(reasons) + ".",
        f"/workflows/{workflow.pk}/reconciliations/{report.pk}/",
    )
    report.alerted = True
    report.save(update_fields=["alerted"])


def apply_report(report: Reconciliation):
    """Queue a run that corrects the drifted records with compare-and-set against the values read."""
    return _apply(
        report,
        Trigger.RECONCILE,
        {"reconciliation_id": report.pk},
        {"status": ItemStatus.DRIFTED, "payload__isnull": False},
        "This report has no drifted records to correct.",
        "report",
    )


@transaction.atomic
def _apply(job, trigger: str, params: dict, writes: dict, nothing_to_write: str, noun: str):
    """Queue the run that writes the job's prepared items matching `writes`, once: applying again returns
    the same run."""
    job = type(job).objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.SUCCEEDED:
        raise ValidationError(f"Only a finished {noun} can be applied.")
    if job.apply_run_id is not None:
        return job.apply_run
    if not job.items.filter(**writes).exists():
        raise ValidationError(nothing_to_write)
    run = request_run(job.workflow, trigger, params)
    job.apply_run = run
    job.save(update_fields=["apply_run"])
    return run


# --- settings and the Beat schedule ------------------------------------------------------------------------
def settings_for(workflow: Workflow) -> ReconcileSettings:
    settings, _ = ReconcileSettings.objects.get_or_create(
        workflow=workflow, defaults={"organization_id": workflow.organization_id}
    )
    return settings


SETTINGS_FIELDS = (
    "schedule_enabled",
    "interval_seconds",
    "apply_on_schedule",
    "drift_count_threshold",
    "drift_units_threshold",
)


MIN_INTERVAL_SECONDS = 300


def check_interval(seconds: int) -> None:
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValidationError({"interval_seconds": "Reconcile at most every 5 minutes (300 seconds)."})


@transaction.atomic
def update_settings(workflow: Workflow, **changes) -> ReconcileSettings:
    settings = ReconcileSettings.objects.select_for_update().filter(pk=settings_for(workflow).pk).get()
    for name, value in changes.items():
        if name not in SETTINGS_FIELDS:
            raise ValidationError({name: "Not a reconciliation setting."})
        setattr(settings, name, value)
    check_interval(settings.interval_seconds)
    settings.save()
    _sync_schedule(settings)
    return settings


def _sync_schedule(settings: ReconcileSettings) -> None:
    name = f"reconcile:{settings.workflow_id}"
    if not settings.schedule_enabled:
        PeriodicTask.objects.filter(name=name).delete()
        return
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=settings.interval_seconds, period=IntervalSchedule.SECONDS
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": SCHEDULED_TASK,
            "args": json.dumps([settings.workflow_id]),
            "interval": interval,
            "crontab": None,
            "enabled": True,
            "description": f"Scheduled reconciliation of workflow {settings.workflow_id}.",
        },
    )
    if settings.periodic_task_id != task.pk:
        settings.periodic_task = task
        settings.save(update_fields=["periodic_task"])


# --- dry runs ---------------------------------------------------------------------------------------------
@transaction.atomic
def request_dry_run(workflow: Workflow, *, since=None) -> Plan:
    _check_flow(workflow)
    plan = Plan.objects.create(organization_id=workflow.organization_id, workflow=workflow, since=_clean_since(since))
    plan_id = plan.pk

    transaction.on_commit(lambda: celery_app.tasks[RUN_DRY_RUN].delay(plan_id))
    return plan


def finish_plan(plan_id: int, status: str, error: str = "") -> Plan:
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan_id)
        if plan.status != JobStatus.RUNNING:
            return plan
        counts = dict(plan.items.values_list("action").annotate(n=Count("pk")).values_list("action", "n"))
        plan.create_count = counts.get(PlanAction.CREATE, 0)
        plan.update_count = counts.get(PlanAction.UPDATE, 0)
        plan.unchanged_count = counts.get(PlanAction.UNCHANGED, 0)
        plan.error_count = counts.get(PlanAction.ERROR, 0)
        plan.status, plan.error, plan.finished_at = status, error[:4000], timezone.now()
        plan.save()
    return plan


def apply_plan(plan: Plan):
    """Queue a run that writes exactly the planned creates and updates, refusing any whose destination
    changed since the plan."""
    return _apply(
        plan,
        Trigger.PLAN,
        {"plan_id": plan.pk},
        {"action__in": [PlanAction.CREATE, PlanAction.UPDATE]},
        "This plan writes nothing: every record is unchanged or in error.",
        "plan",
    )


# --- stale jobs ------------------------------------------------------------------------------------------
STALE_AFTER_SECONDS = 900


def fail_stale_jobs(now=None) -> int:
    """Reports and plans whose worker stopped (no progress for 15 minutes) say so instead of "running"."""
    cutoff = (now or timezone.now()) - timedelta(seconds=STALE_AFTER_SECONDS)
    message = "The worker stopped making progress (it was restarted or crashed); start it again."
    failed = 0
    for model in (Reconciliation, Plan):
        failed += model.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).update(
            status=JobStatus.FAILED, error=message, finished_at=now or timezone.now()
        )
    return failed
