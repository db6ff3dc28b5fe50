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


@login_required
def reconciliation_list(request, pk):
    workflow = _workflow(request, pk)
    return render(
        request,
        "reconcile/reconciliation_list.html",
        {
            "workflow": workflow,
            "reports": workflow.reconciliations.all()[:50],
            "settings": actions.settings_for(workflow),
            "can_edit": role_at_least(request.role, Role.DEVELOPER),
        },
    )


@login_required
@require_POST
def reconciliation_start(request, pk):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    try:
        report = actions.request_reconciliation(
            workflow, apply=request.POST.get("apply") == "on", since=request.POST.get("since") or None
        )
    except ValidationError as exc:
        _say_invalid(request, exc)
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
    workflow = _workflow(request, pk)
    report = get_scoped_or_404(Reconciliation, request.organization, pk=report_id, workflow=workflow)
    status = request.GET.get("status") or ""
    items = report.items.all()
    if status in ItemStatus.values:
        items = items.filter(status=status)
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    by_status = (report.totals or {}).get("by_status") or {}
    return render(
        request,
        "reconcile/reconciliation_detail.html",
        {
            "workflow": workflow,
            "report": report,
            "page": page,
            "status": status,
            "statuses": [(value, label, by_status.get(value, 0)) for value, label in ItemStatus.choices],
            "correctable": (report.totals or {}).get("correctable", 0),
            "can_edit": role_at_least(request.role, Role.DEVELOPER),
            "running": report.status in ("queued", "running"),
        },
    )


@login_required
@require_POST
def reconciliation_apply(request, pk, report_id):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    report = get_scoped_or_404(Reconciliation, request.organization, pk=report_id, workflow=workflow)
    try:
        run = actions.apply_report(report)
        messages.success(request, f"Corrections queued as run {run.pk}.")
    except ValidationError as exc:
        _say_invalid(request, exc)
    return redirect("reconciliation-detail", pk=workflow.pk, report_id=report.pk)


@login_required
def plan_list(request, pk):
    workflow = _workflow(request, pk)
    return render(
        request,
        "reconcile/plan_list.html",
        {
            "workflow": workflow,
            "plans": workflow.plans.all()[:50],
            "can_edit": role_at_least(request.role, Role.DEVELOPER),
        },
    )


@login_required
@require_POST
def plan_start(request, pk):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    try:
        plan = actions.request_dry_run(workflow, since=request.POST.get("since") or None)
    except ValidationError as exc:
        _say_invalid(request, exc)
        return redirect("plan-list", pk=workflow.pk)
    return redirect("plan-detail", pk=workflow.pk, plan_id=plan.pk)


@login_required
def plan_detail(request, pk, plan_id):
    workflow = _workflow(request, pk)
    plan = get_scoped_or_404(Plan, request.organization, pk=plan_id, workflow=workflow)
    chosen = request.GET.get("action") or ""
    items = plan.items.all()
    if chosen in PlanAction.values:
        items = items.filter(action=chosen)
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    counts = {
        PlanAction.CREATE: plan.create_count,
        PlanAction.UPDATE: plan.update_count,
        PlanAction.UNCHANGED: plan.unchanged_count,
        PlanAction.ERROR: plan.error_count,
    }
    return render(
        request,
        "reconcile/plan_detail.html",
        {
            "workflow": workflow,
            "plan": plan,
            "page": page,
            "chosen": chosen,
            "actions": [(value, label, counts[value]) for value, label in PlanAction.choices],
            "can_edit": role_at_least(request.role, Role.DEVELOPER),
            "running": plan.status in ("queued", "running"),
        },
    )


@login_required
@require_POST
def plan_apply(request, pk, plan_id):
    workflow = _workflow(request, pk, Role.DEVELOPER)
    plan = get_scoped_or_404(Plan, request.organization, pk=plan_id, workflow=workflow)
    try:
        run = actions.apply_plan(plan)
        messages.success(request, f"Plan queued as run {run.pk}: exactly the reviewed writes.")
    except ValidationError as exc:
        _say_invalid(request, exc)
    return redirect("plan-detail", pk=workflow.pk, plan_id=plan.pk)
