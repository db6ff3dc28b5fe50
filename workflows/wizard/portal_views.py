"""Portal pages the navigation needs that no other app serves yet: the organization's mappings, one
run with its counts and record errors, and retrying or resolving several record errors at once.
Thin views over the mapping and workflow actions, like the wizard's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connectors.mapping.models import Mapping
from ekyam.tenancy import get_scoped_or_404, scoped
from workflows import actions
from workflows.models import RecordError, RecordErrorStatus, Run
from workflows.wizard.views import WRITE_ROLE, can_edit, require_role


@login_required
def mapping_list(request):
    """Every mapping of the organization with its current version and whether it is complete."""
    require_role(request)
    rows = []
    for mapping in (
        scoped(Mapping, request.organization).select_related("connection").order_by("connection__name", "stream")
    ):
        version = mapping.current_version()
        state = "missing" if version is None else ("complete" if version.is_complete else "incomplete")
        rows.append({"mapping": mapping, "version": version, "state": state})
    return render(request, "mapping/list.html", {"rows": rows, "can_edit": can_edit(request)})


@login_required
def run_detail(request, pk):
    require_role(request)
    run = get_scoped_or_404(Run.objects.select_related("workflow"), request.organization, pk=pk)
    errors = scoped(RecordError, request.organization).filter(run=run).select_related("workflow").order_by("-pk")[:200]
    return render(
        request,
        "workflows/run_detail.html",
        {"run": run, "workflow": run.workflow, "errors": errors, "can_edit": can_edit(request)},
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
