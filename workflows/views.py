"""Pages: the workflow overview with each one's sign, the live status page, runs, and record errors
(one at a time or several at once)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connectors.models import Connection
from ekyam.models import Role
from ekyam.page_actions import row_action
from ekyam.roles import WRITE_ROLE, can_edit, require_role
from ekyam.tenancy import get_scoped_or_404, scoped
from workflows import actions, outcomes
from workflows.blueprints import BLUEPRINTS
from workflows.models import Lineage, OutcomeKind, RecordError, RecordErrorStatus, RecordOutcome, Run, Workflow
from workflows.status import snapshot
from workflows.wizard import diagram


@login_required
def workflow_list(request):
    require_role(request)
    workflows = scoped(Workflow, request.organization).order_by("name")
    connections = scoped(Connection, request.organization).order_by("name")
    return render(
        request,
        "workflows/list.html",
        {
            "workflows": workflows,
            "blueprints": BLUEPRINTS.values(),
            "connections": connections,
            "can_edit": can_edit(request),
        },
    )


@login_required
@require_POST
def workflow_create_from_blueprint(request):
    require_role(request, Role.DEVELOPER)
    connections = scoped(Connection, request.organization)
    source = connections.filter(pk=request.POST.get("source_connection") or 0).first()
    destination = connections.filter(pk=request.POST.get("destination_connection") or 0).first()
    if source is None:
        messages.error(request, "Choose a source connection.")
        return redirect("workflow-list")
    try:
        workflow = actions.create_from_blueprint(
            request.organization, request.POST.get("blueprint", ""), source_connection=source,
            destination_connection=destination, name=request.POST.get("name") or None,
        )  # fmt: skip
    except (ValueError, LookupError) as exc:
        messages.error(request, str(exc))
        return redirect("workflow-list")
    messages.success(request, f"Created “{workflow.name}”.")
    return redirect("workflow-detail", pk=workflow.pk)


@login_required
def workflow_detail(request, pk):
    require_role(request)
    workflow = get_scoped_or_404(Workflow, request.organization, pk=pk)
    data = snapshot(workflow)
    return render(
        request,
        "workflows/detail.html",
        {
            "workflow": workflow,
            "diagram": diagram.for_workflow(workflow, data),
            "status": data,
            "status_json": json.dumps(data),
            "can_edit": can_edit(request),
        },
    )


@row_action(Workflow, Role.DEVELOPER)
def workflow_command(request, workflow, command):
    if command == "run":
        run = actions.run_now(workflow)
        messages.success(request, f"Run {run.pk} queued.", extra_tags=f"run-{run.pk}")
    elif command == "pause":
        actions.pause_workflow(workflow, reason=f"Paused by {request.user}.")
    elif command == "resume":
        actions.resume_workflow(workflow)
    elif command == "backfill":
        run = actions.backfill(workflow, request.POST.get("since") or "1970-01-01")
        messages.success(request, f"Backfill run {run.pk} queued.", extra_tags=f"run-{run.pk}")
    else:
        raise Http404("Unknown command.")
    return redirect("workflow-detail", pk=workflow.pk)


@login_required
def record_error_list(request):
    require_role(request)
    errors = (
        scoped(RecordError, request.organization)
        .filter(status=RecordErrorStatus.OPEN)
        .select_related("workflow")
        .order_by("-pk")[:200]
    )
    return render(
        request,
        "workflows/record_errors.html",
        {"errors": errors, "can_edit": can_edit(request)},
    )


@row_action(RecordError, Role.DEVELOPER)
def record_error_command(request, error, command):
    if command == "retry":
        edited = None
        if request.POST.get("edited_payload", "").strip():
            try:
                edited = json.loads(request.POST["edited_payload"])
            except json.JSONDecodeError as exc:
                messages.error(request, f"The edited record is not valid JSON: {exc}")
                return redirect(request.POST.get("next") or "record-error-list")
        run = actions.retry_record_errors([error], edited_payload=edited)
        messages.success(request, f"Retry queued as run {run.pk}." if run else "This error is already resolved.")
    elif command == "resolve":
        actions.resolve_record_errors([error])
        messages.success(request, "Marked as resolved.")
    else:
        raise Http404("Unknown command.")
    return redirect(request.POST.get("next") or "record-error-list")


OUTCOMES_SHOWN = 200


@login_required
def run_detail(request, pk):
    require_role(request)
    run = get_scoped_or_404(Run.objects.select_related("workflow"), request.organization, pk=pk)
    errors = scoped(RecordError, request.organization).filter(run=run).select_related("workflow").order_by("-pk")[:200]
    wanted = request.GET.get("outcome", "")
    if wanted and wanted not in OutcomeKind.values:
        raise Http404("Unknown outcome.")
    rows = scoped(RecordOutcome, request.organization).filter(run=run)
    records = list((rows.filter(outcome=wanted) if wanted else rows).order_by("-pk")[:OUTCOMES_SHOWN])
    lineage = dict(
        scoped(Lineage, request.organization)
        .filter(workflow=run.workflow, source_key__in={r.source_key for r in records})
        .values_list("source_key", "pk")
    )
    for record in records:
        record.lineage_id = lineage.get(record.source_key)
    counts = outcomes.counts(run)
    return render(
        request,
        "workflows/run_detail.html",
        {
            "run": run,
            "workflow": run.workflow,
            "errors": errors,
            "records": records,
            "counts": [(kind, label, counts[kind]) for kind, label in OutcomeKind.choices],
            "wanted": wanted,
            "shown_limit": OUTCOMES_SHOWN,
            "can_edit": can_edit(request),
        },
    )


@login_required
def lineage_detail(request, pk):
    """One record's lineage: where it came from, where it went, and what every run did with it."""
    require_role(request)
    row = get_scoped_or_404(Lineage.objects.select_related("workflow"), request.organization, pk=pk)
    history = (
        scoped(RecordOutcome, request.organization)
        .filter(run__workflow=row.workflow, source_key=row.source_key)
        .select_related("run")
        .order_by("-pk")[:50]
    )
    errors = scoped(RecordError, request.organization).filter(workflow=row.workflow, trace_key=row.source_key)
    return render(
        request,
        "workflows/lineage_detail.html",
        {
            "lineage": row,
            "workflow": row.workflow,
            "history": history,
            "errors": errors.order_by("-pk")[:20],
            "details_json": json.dumps(row.details, indent=2, sort_keys=True, default=str) if row.details else "",
        },
    )


def _back(request):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("record-error-list")


@login_required
@require_POST
def record_errors_bulk(request):
    """Retry or resolve the selected open record errors (one form, a checkbox per error)."""
    require_role(request, WRITE_ROLE)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    errors = list(
        scoped(RecordError, request.organization).filter(pk__in=ids, status=RecordErrorStatus.OPEN).order_by("pk")
    )
    if not errors:
        messages.error(request, "Select at least one open record error first.")
        return _back(request)
    operation = request.POST.get("operation")
    if operation == "retry":
        runs = []
        for workflow_id in dict.fromkeys(e.workflow_id for e in errors):  # one retry run per workflow
            run = actions.retry_record_errors([e for e in errors if e.workflow_id == workflow_id])
            if run is not None:
                runs.append(str(run.pk))
        messages.success(request, f"Retrying {len(errors)} record(s) in run {', '.join(runs)}.")
    elif operation == "resolve":
        count = actions.resolve_record_errors(errors)
        messages.success(request, f"Marked {count} record error(s) as resolved.")
    else:
        messages.error(request, "Choose Retry selected or Resolve selected.")
    return _back(request)
