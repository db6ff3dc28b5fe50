"""Setup wizard, steps 4 and 5: configure a data flow from a template, then switch it on.

`workflows.actions` creates and edits the workflow, its schedule and its runs; `workflows.status`
derives the "On" sign. These views only read forms and show rows.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from connectors.mapping import actions as mapping_actions
from connectors.mapping.models import Mapping
from connectors.models import Connection
from connectors.sandboxes import is_sandbox_connection
from ekyam.roles import WRITE_ROLE, can_edit, require_role
from ekyam.tenancy import get_scoped_or_404, scoped
from workflows import actions, status
from workflows.blueprints import BLUEPRINTS, get_blueprint
from workflows.models import NodeKind, RecordError, RecordErrorStatus, ScheduleKind, Workflow
from workflows.wizard import diagram, progress
from workflows.wizard.forms import FlowForm

STATE_LABELS = {"on": "On", "degraded": "Degraded", "off": "Off", "not_configured": "Not configured"}


def _mapping_choices(organization, direction: str) -> list[tuple[int, str]]:
    choices = []
    for mapping in scoped(Mapping, organization).filter(direction=direction).select_related("connection"):
        version = mapping.current_version()
        state = "complete" if version and version.is_complete else "incomplete"
        choices.append((mapping.pk, f"{mapping.name} (v{version.number if version else 0}, {state})"))
    return choices


def _first(connections, connector: str | None):
    return next((c.pk for c in connections if c.connector_type == connector), None)


def _initial(request, workflow, connections) -> dict:
    if workflow is not None:
        source, sync, destination = (workflow.node(k) for k in (NodeKind.SOURCE, NodeKind.SYNC, NodeKind.DESTINATION))
        return {
            "blueprint": workflow.blueprint or "shipment-sync",
            "name": workflow.name,
            "source_connection": source.connection_id if source else None,
            "destination_connection": destination.connection_id if destination else None,
            "read_mapping": sync.read_mapping_id if sync else None,
            "write_mapping": sync.write_mapping_id if sync else None,
            "schedule_kind": workflow.schedule_kind,
            "interval_minutes": (workflow.interval_seconds or 900) // 60,
            "cron": workflow.cron,
        }
    blueprint = get_blueprint(request.GET.get("template") or "shipment-sync")
    source = request.GET.get("source")
    source_id = int(source) if source and source.isdigit() else _first(connections, blueprint.source_connector)
    existing = set(scoped(Workflow, request.organization).values_list("name", flat=True))
    source_connection = next((c for c in connections if c.pk == source_id), None)
    return {
        "blueprint": blueprint.slug,
        "name": blueprint.name if blueprint.name not in existing else f"{blueprint.name} {len(existing) + 1}",
        "source_connection": source_id,
        "destination_connection": _first(connections, blueprint.destination_connector),
        "schedule_kind": ScheduleKind.INTERVAL,
        # A sandbox source changes every 30 s: a one-minute schedule shows its new records within two minutes.
        "interval_minutes": 1
        if source_connection is not None and is_sandbox_connection(source_connection)
        else (blueprint.schedule_interval_seconds or 900) // 60,
    }


@login_required
def edit(request, pk=None):
    """Step 4: "Edit configuration" — template, connections, mappings, schedule, and the diagram."""
    require_role(request)
    workflow = get_scoped_or_404(Workflow, request.organization, pk=pk) if pk else None
    connections = list(scoped(Connection, request.organization))
    form = FlowForm(
        request.POST or None,
        initial=_initial(request, workflow, connections),
        blueprints=list(BLUEPRINTS.values()),
        connections=connections,
        read_mappings=_mapping_choices(request.organization, "read"),
        write_mappings=_mapping_choices(request.organization, "write"),
    )
    if workflow is not None:
        form.fields["blueprint"].disabled = True
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        if form.is_valid():
            try:
                saved = _save(request, workflow, form)
            except (ValueError, DjangoValidationError) as exc:
                for message in getattr(exc, "messages", None) or [str(exc)]:
                    form.add_error(None, message)
            else:
                messages.success(request, f"Saved the configuration of {saved.name}.")
                return redirect("wizard-live", saved.pk)
    if workflow is not None:
        picture = diagram.for_workflow(workflow, status.derive(workflow))
    else:
        picture = diagram.for_blueprint(get_blueprint(form["blueprint"].value() or "shipment-sync"))
    return render(
        request,
        "wizard/flow.html",
        {
            "steps": progress.steps_for_page(4, request.organization),
            "workflow": workflow,
            "form": form,
            "diagram": picture,
            "blueprints": BLUEPRINTS.values(),
            "can_edit": can_edit(request),
        },
    )


def _connection(request, pk):
    return get_scoped_or_404(Connection, request.organization, pk=pk) if pk else None


def _mapping_id(request, pk, direction):
    if not pk:
        return None
    return get_scoped_or_404(Mapping, request.organization, pk=pk, direction=direction).pk


def _save(request, workflow, form) -> Workflow:
    data = form.cleaned_data
    source = _connection(request, data["source_connection"])
    destination = _connection(request, data.get("destination_connection"))
    read_id = _mapping_id(request, data.get("read_mapping"), "read")
    write_id = _mapping_id(request, data.get("write_mapping"), "write")
    if workflow is None:
        blueprint = get_blueprint(data["blueprint"])
        if not write_id and destination is not None and blueprint.destination_connector == destination.connector_type:
            write_id = writer_mapping_id(request, destination, blueprint)
        options = {**form.schedule()}
        if read_id:
            options["read_mapping_id"] = read_id
        if write_id:
            options["write_mapping_id"] = write_id
        return actions.create_from_blueprint(
            request.organization,
            data["blueprint"],
            source_connection=source,
            destination_connection=destination,
            name=data["name"],
            **options,
        )
    schedule = form.schedule()
    actions.update_workflow(
        workflow,
        name=data["name"],
        schedule_kind=schedule["schedule_kind"],
        interval_seconds=schedule["interval_seconds"],
        cron=schedule["cron"],
    )
    source_node, sync_node, destination_node = (
        workflow.node(k) for k in (NodeKind.SOURCE, NodeKind.SYNC, NodeKind.DESTINATION)
    )
    if source_node and source and source_node.connection_id != source.pk:
        actions.update_node(source_node, connection=source)
    if (
        destination_node
        and destination
        and not destination_node.builtin
        and destination_node.connection_id != destination.pk
    ):
        actions.update_node(destination_node, connection=destination)
    changes = {}
    if read_id and sync_node.read_mapping_id != read_id:
        changes["read_mapping_id"] = read_id
    if write_id and sync_node.write_mapping_id != write_id:
        changes["write_mapping_id"] = write_id
    if sync_node and changes:
        actions.update_node(sync_node, **changes)
    workflow.refresh_from_db()
    return workflow


def writer_mapping_id(request, destination, blueprint) -> int | None:
    """The destination's writer mapping for the blueprint's stream (its own, the vendor's default, or
    one built from the suggestions for the user to verify)."""
    mapping = mapping_actions.writer_mapping_for_destination(
        destination, blueprint.destination_stream, user=request.user
    )
    return mapping.pk if mapping is not None else None


def _status_page_url(workflow) -> str:
    try:
        return reverse("workflow-detail", args=[workflow.pk])
    except NoReverseMatch:
        return ""


@login_required
def live(request, pk):
    """Step 5: the derived sign with its reason, the diagram, run counts and record errors, live."""
    require_role(request)
    workflow = get_scoped_or_404(Workflow, request.organization, pk=pk)
    snapshot = status.snapshot(workflow)
    errors = list(
        scoped(RecordError, request.organization)
        .filter(workflow=workflow, status=RecordErrorStatus.OPEN)
        .order_by("-pk")[:20]
    )
    for error in errors:
        payload = error.edited_payload if error.edited_payload is not None else error.source_payload
        error.payload_json = json.dumps(payload, indent=2, default=str)
    return render(
        request,
        "wizard/live.html",
        {
            "steps": progress.steps_for_page(5, request.organization),
            "workflow": workflow,
            "snapshot": snapshot,
            "run": snapshot["current_run"] or next(iter(snapshot["recent_runs"]), None),
            "state_label": STATE_LABELS.get(snapshot["state"], snapshot["state"]),
            "failing_checks": [c for c in snapshot["checks"] if not c["ok"]],
            "diagram": diagram.for_workflow(workflow, snapshot),
            "errors": errors,
            "status_page_url": _status_page_url(workflow),
            "can_edit": can_edit(request),
        },
    )


def _workflow_for_command(request, pk) -> Workflow:
    require_role(request, WRITE_ROLE)
    return get_scoped_or_404(Workflow, request.organization, pk=pk)


def _done(request, workflow, message: str, level=messages.SUCCESS, run_id: int | None = None):
    """Forms on the go-live page post through `fetch` (the page then updates over the WebSocket,
    without reloading); without JavaScript they post normally and land back on the page. A message about
    a queued run names it, so the page drops the message once that run has finished."""
    if request.headers.get("X-Requested-With") == "fetch":
        answer = {"message": message, "level": messages.DEFAULT_TAGS.get(level, "info")}
        return JsonResponse({**answer, "run_id": run_id} if run_id else answer)
    messages.add_message(request, level, message, extra_tags=f"run-{run_id}" if run_id else "")
    return redirect("wizard-live", workflow.pk)


@login_required
@require_POST
def enable(request, pk):
    workflow = actions.resume_workflow(_workflow_for_command(request, pk))
    derived = status.derive(workflow)
    if derived["on"]:
        return _done(request, workflow, f"{workflow.name} is on.")
    return _done(request, workflow, f"{workflow.name} is enabled but not on: {derived['reason']}", messages.WARNING)


@login_required
@require_POST
def pause(request, pk):
    workflow = actions.pause_workflow(_workflow_for_command(request, pk), reason=f"Paused by {request.user.username}.")
    return _done(request, workflow, f"{workflow.name} is paused.")


@login_required
@require_POST
def run_now(request, pk):
    workflow = _workflow_for_command(request, pk)
    run = actions.run_now(workflow)
    return _done(request, workflow, f"Run {run.pk} is queued.", run_id=run.pk)


@login_required
@require_POST
def retry_error(request, pk, error_pk):
    """Retry one record error, optionally with corrected source data (JSON) typed on the page."""
    workflow = _workflow_for_command(request, pk)
    error = get_scoped_or_404(RecordError, request.organization, pk=error_pk, workflow=workflow)
    edited = None
    text = (request.POST.get("edited_payload") or "").strip()
    if text:
        try:
            edited = json.loads(text)
        except ValueError as exc:
            messages.error(request, f"The corrected record is not valid JSON: {exc}.")
            return redirect("wizard-live", workflow.pk)
        if not isinstance(edited, dict):
            messages.error(request, "The corrected record must be a JSON object.")
            return redirect("wizard-live", workflow.pk)
        if edited == error.source_payload:
            edited = None
    run = actions.retry_record_errors([error], edited_payload=edited)
    if run is None:
        messages.info(request, "That record error is already resolved.")
    else:
        messages.success(request, f"Retrying {error.trace_key} in run {run.pk}.")
    return redirect("wizard-live", workflow.pk)
