"""Setup wizard, step 3 (Universal Reader): pull sample records, verify the suggested mapping, save.

The mapping app does the work: `ensure_default_mapping` / `create_mapping` create the mapping,
`suggest_mappings` ranks source fields, `preview` maps the samples, `check_mapping` finds required
fields left unmapped, `save_mapping_version` stores the rules. Samples stay in the session only.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connectors import actions as connector_actions
from connectors.base import ConnectorError
from connectors.mapping import actions as mapping_actions
from connectors.mapping.engine import MappingInvalid
from connectors.mapping.models import Mapping
from connectors.mapping.suggest import REVIEW_CONFIDENCE, suggest_mappings
from connectors.models import Connection
from ekyam.tenancy import get_scoped_or_404, scoped
from workflows.wizard import progress
from workflows.wizard.mapping_form import (
    KEEP,
    RulesError,
    attach_options,
    build_rows,
    element_sources,
    list_sources,
    rules_from_post,
)
from workflows.wizard.views import WRITE_ROLE, can_edit, connector_card, require_role

SAMPLE_LIMIT = 5


def _samples_key(connection_id: int, stream: str) -> str:
    return f"wizard-samples:{connection_id}:{stream}"


def _reader_spec(connection: Connection, stream: str):
    try:
        return connection.connector_class.stream(stream, "read")
    except (ConnectorError, LookupError):
        raise Http404("This connection has no such reader stream.") from None


@login_required
def choose_stream(request, pk):
    require_role(request)
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    streams = [
        {"spec": spec, "state": progress.mapping_state(connection, spec.name)}
        for spec in connection.connector_class.reader_streams()
    ]
    return render(
        request,
        "wizard/map_choose.html",
        {
            "steps": progress.steps_for_page(3, request.organization),
            "connection": connection,
            "card": connector_card(connection.connector_class),
            "streams": streams,
            "can_edit": can_edit(request),
        },
    )


@login_required
@require_POST
def pull_samples(request, pk, stream):
    """ "Map Configurations": read a few records of the stream and start the mapping from the vendor's
    default (when it ships one) or from the suggestions."""
    require_role(request, WRITE_ROLE)
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    spec = _reader_spec(connection, stream)
    try:
        samples = connector_actions.sample_records(connection, stream, SAMPLE_LIMIT)
    except ConnectorError as exc:
        messages.error(request, f"Could not read sample {spec.label} from {connection.name}: {exc.message}")
        return redirect("wizard-map", connection.pk)
    request.session[_samples_key(connection.pk, stream)] = samples
    mapping = mapping_actions.ensure_default_mapping(connection, stream, "read")
    if mapping is None:
        suggestion = suggest_mappings(
            spec.standard,
            "read",
            mapping_actions.source_fields(samples, spec.fields),
            organization=request.organization,
        )
        mapping = mapping_actions.create_mapping(
            request.organization,
            connection=connection,
            stream=stream,
            direction="read",
            standard=spec.standard,
            rules=suggestion["rules"],
            user=request.user,
        )
    messages.success(request, f"Pulled {len(samples)} sample {spec.label.lower()} from {connection.name}.")
    return redirect("wizard-map-stream", connection.pk, stream)


def _samples(request, connection, stream) -> tuple[list[dict], str]:
    key = _samples_key(connection.pk, stream)
    if key in request.session:
        return request.session[key], ""
    try:
        samples = connector_actions.sample_records(connection, stream, SAMPLE_LIMIT)
    except ConnectorError as exc:
        return [], f"Could not read sample records: {exc.message}"
    request.session[key] = samples
    return samples, ""


@login_required
def verify(request, pk, stream):
    """ "Verify": every field of the standard with its source dropdown, transforms and a live preview."""
    require_role(request)
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    spec = _reader_spec(connection, stream)
    mapping = (
        scoped(Mapping, request.organization).filter(connection=connection, stream=stream, direction="read").first()
    )
    if mapping is None:
        messages.info(request, f"Press “Map Configurations” to pull sample {spec.label.lower()} first.")
        return redirect("wizard-map", connection.pk)
    samples, sample_error = _samples(request, connection, stream)
    fields = mapping_actions.source_fields(samples, spec.fields)
    version = mapping.current_version()
    rules = version.rules if version else []
    suggestion = suggest_mappings(mapping.standard, "read", fields, organization=request.organization, rules=rules)
    rows, groups, other = build_rows(suggestion["fields"], rules)

    draft, problems, saved = rules, {}, False
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        try:
            draft = rules_from_post(request.POST, rows, groups)
        except RulesError as exc:
            problems = exc.errors
        else:
            rows, groups, other = build_rows(suggestion["fields"], draft)
            if request.POST.get("action") == "save":
                saved = _save(request, mapping, draft, problems)
                if saved:
                    return redirect("wizard-map-stream", connection.pk, stream)
    preview, invalid = _preview(mapping, samples, draft)
    _mark_errors(rows, preview, invalid, problems)
    attach_options(rows, fields)
    missing = [r.target for r in rows if r.missing]
    return render(
        request,
        "wizard/map_verify.html",
        {
            "steps": progress.steps_for_page(3, request.organization),
            "connection": connection,
            "spec": spec,
            "mapping": mapping,
            "version": version,
            "rows": rows,
            "groups": {g.target: g for g in groups},
            "list_targets": list(dict.fromkeys(r.list_target for r in rows if r.list_target)),
            "other_rules": json.dumps(other, indent=1) if other else "",
            "source_paths": fields,
            "list_paths": list_sources(fields),
            "element_paths": element_sources(fields),
            "keep": KEEP,
            "preview": preview,
            "invalid": invalid,
            "problems": problems,
            "missing": missing,
            "sample_error": sample_error,
            "ranker": suggestion.get("ranker"),
            "review_confidence": REVIEW_CONFIDENCE,
            "can_edit": can_edit(request),
            "next_url": _next_url(connection),
        },
    )


def _save(request, mapping, rules, problems: dict) -> bool:
    """Save when every required field is mapped; otherwise say which ones block the save."""
    clean = _strip_origin(rules)
    try:
        compiled = mapping_actions.check_mapping(mapping, clean)
    except MappingInvalid as exc:
        for error in exc.errors:
            problems[error.get("rule", "(mapping)")] = error.get("message", "")
        return False
    if compiled.missing_required:
        problems["(save)"] = "Map these required fields before saving: " + ", ".join(compiled.missing_required) + "."
        return False
    version = mapping_actions.save_mapping_version(mapping, clean, request.user, comment="verified in the wizard")
    _record_accepted(request, mapping, clean)
    messages.success(request, f"Saved {mapping.name} as version {version.number}. Every required field is mapped.")
    return True


def _strip_origin(rules):
    """Saving accepts the suggestions: they become the user's own rules."""
    cleaned = []
    for rule in rules:
        if isinstance(rule, dict):
            rule = {k: v for k, v in rule.items() if k != "origin"}
            if isinstance(rule.get("rules"), list):
                rule["rules"] = _strip_origin(rule["rules"])
        cleaned.append(rule)
    return cleaned


def _record_accepted(request, mapping, rules) -> None:
    """Tell the suggester which plain source → field pairs the user kept, so it learns them."""
    for rule in rules:
        if isinstance(rule, dict) and isinstance(rule.get("source"), str) and "target" in rule:
            mapping_actions.record_feedback(
                request.organization,
                standard=mapping.standard,
                target=rule["target"],
                source=rule["source"],
                accepted=True,
                mapping=mapping,
                user=request.user,
            )


def _preview(mapping, samples, rules) -> tuple[dict | None, list]:
    if not samples:
        return None, []
    try:
        preview = mapping_actions.preview(mapping, samples, rules=_strip_origin(rules))
    except MappingInvalid as exc:
        return None, exc.errors
    for result in preview["results"]:
        result["input_json"] = json.dumps(result["input"], indent=2, default=str)
        result["output_json"] = json.dumps(result["output"], indent=2, default=str)
    return preview, []


def _mark_errors(rows, preview, invalid, problems) -> None:
    by_target = {r.target: r for r in rows}
    for error in invalid:
        row = by_target.get(error.get("rule", ""))
        if row is not None:
            row.errors.append(error.get("message", ""))
    for target, message in problems.items():
        row = by_target.get(target)
        if row is not None:
            row.errors.append(message)
    if preview:
        for result in preview["results"]:
            for error in result["errors"]:
                # `lines[0].sku` → the row `lines[].sku`
                target = _normalize(error.get("rule") or "")
                row = by_target.get(target)
                if row is not None and error["message"] not in row.errors:
                    row.errors.append(error["message"])


def _normalize(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _next_url(connection) -> str:
    return reverse("wizard-flow-new") + f"?source={connection.pk}"
