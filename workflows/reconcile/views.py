"""Pages: a workflow's reconciliation reports (with their progress while running) and dry-run plans."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ekyam.models import Role, role_at_least
from ekyam.tenancy import get_scoped_or_404
from workflows.models import Workflow
from workflows.reconcile import actions
from workflows.reconcile.models import ItemStatus, Plan, PlanAction, Reconciliation

ITEMS_PER_PAGE = 100


def _workflow(request, pk, role=Role.VIEWER) -> Workflow:
    if not role_at_least(getattr(request, "role", None), role):
        raise PermissionDenied(f"This needs the {role} role.")
    return get_scoped_or_404(Workflow, request.organization, pk=pk)


def _say_invalid(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _job(request, pk, model, job_id, role=Role.VIEWER):
    """The workflow and one of its reports or plans, in the caller's organization."""
    workflow = _workflow(request, pk, role)
    return workflow, get_scoped_or_404(model, request.organization, pk=job_id, workflow=workflow)


def _list_context(request, workflow, **jobs) -> dict:
    return {"workflow": workflow, **jobs, "can_edit": role_at_least(request.role, Role.DEVELOPER)}


def _start(request, start):
    """The queued report or plan; None (with the reason said on the next page) when the request is invalid."""
    try:
        return start()
    except ValidationError as exc:
        _say_invalid(request, exc)
        return None


def _detail_context(request, workflow, job, filter_field: str, choices: list[tuple]) -> dict:
    """A report's or a plan's page: its items filtered by one of `choices` (?status= / ?action=), paginated."""
    chosen = request.GET.get(filter_field) or ""
    items = job.items.all()
    if chosen in {value for value, _label, _count in choices}:
        items = items.filter(**{filter_field: chosen})
    return {
        "workflow": workflow,
        "job": job,
        "heading": f"{job._meta.verbose_name.capitalize()} #{job.pk}",
        "page": Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page")),
        "filter_field": filter_field,
        "chosen": chosen,
        "choices": choices,
        "can_edit": role_at_least(request.role, Role.DEVELOPER),
        "running": job.running,
    }


def _apply(request, apply, job, success: str) -> None:
    try:
        run = apply(job)
        messages.success(request, success.format(run=run.pk))
    except ValidationError as exc:
        _say_invalid(request, exc)


@login_required
def reconciliation_list(request, pk):
    workflow = _workflow(request, pk)
    context = _list_context(request, workflow, reports=workflow.reconciliations.all()[:50])
    context["settings"] = actions.settings_for(workflow)
    return render(request, "reconcile/reconciliation_list.html", context)


@login_required
@require_POST
def reconciliation_start(request, pk):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    since = request.POST.get("since") or None
    report = _start(
        request, lambda: actions.request_reconciliation(workflow, apply=request.POST.get("apply") == "on", since=since)
    )
    if report is None:
        return redirect("reconciliation-list", pk=workflow.pk)
    return redirect("reconciliation-detail", pk=workflow.pk, report_id=report.pk)


@login_required
@require_POST
def reconciliation_settings(request, pk):
    workflow = _workflow(request, pk, Role.DEVELOPER)

    def number(name):
        value = (request.POST.get(name) or "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError({name: f"{value!r} is not a whole number."})
        return int(value)

    try:
        actions.update_settings(
            workflow,
            schedule_enabled=request.POST.get("schedule_enabled") == "on",
            apply_on_schedule=request.POST.get("apply_on_schedule") == "on",
            interval_seconds=number("interval_seconds") or 86400,
            drift_count_threshold=number("drift_count_threshold"),
            drift_units_threshold=number("drift_units_threshold"),
        )
        messages.success(request, "Reconciliation settings saved.")
    except ValidationError as exc:
        _say_invalid(request, exc)
    return redirect("reconciliation-list", pk=workflow.pk)


@login_required
def reconciliation_detail(request, pk, report_id):
    workflow, report = _job(request, pk, Reconciliation, report_id)
    by_status = (report.totals or {}).get("by_status") or {}
    choices = [(value, label, by_status.get(value, 0)) for value, label in ItemStatus.choices]
    context = _detail_context(request, workflow, report, "status", choices)
    context["correctable"] = (report.totals or {}).get("correctable", 0)
    return render(request, "reconcile/reconciliation_detail.html", context)


@login_required
@require_POST
def reconciliation_apply(request, pk, report_id):
    workflow, report = _job(request, pk, Reconciliation, report_id, Role.DEVELOPER)
    _apply(request, actions.apply_report, report, "Corrections queued as run {run}.")
    return redirect("reconciliation-detail", pk=workflow.pk, report_id=report.pk)


@login_required
def plan_list(request, pk):
    workflow = _workflow(request, pk)
    return render(
        request, "reconcile/plan_list.html", _list_context(request, workflow, plans=workflow.plans.all()[:50])
    )


@login_required
@require_POST
def plan_start(request, pk):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    plan = _start(request, lambda: actions.request_dry_run(workflow, since=request.POST.get("since") or None))
    if plan is None:
        return redirect("plan-list", pk=workflow.pk)
    return redirect("plan-detail", pk=workflow.pk, plan_id=plan.pk)


@login_required
def plan_detail(request, pk, plan_id):
    workflow, plan = _job(request, pk, Plan, plan_id)
    counts = {
        PlanAction.CREATE: plan.create_count,
        PlanAction.UPDATE: plan.update_count,
        PlanAction.UNCHANGED: plan.unchanged_count,
        PlanAction.ERROR: plan.error_count,
    }
    choices = [(value, label, counts[value]) for value, label in PlanAction.choices]
    return render(request, "reconcile/plan_detail.html", _detail_context(request, workflow, plan, "action", choices))


@login_required
@require_POST
def plan_apply(request, pk, plan_id):
    workflow, plan = _job(request, pk, Plan, plan_id, Role.DEVELOPER)
    _apply(request, actions.apply_plan, plan, "Plan queued as run {run}: exactly the reviewed writes.")
    return redirect("plan-detail", pk=workflow.pk, plan_id=plan.pk)
