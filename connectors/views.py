"""Portal pages of connections: a list with status, a detail page with "Check now", rename and delete
(what depends on the connection named first). The setup wizard that creates connections and changes
their keys lives in workflows/wizard; `connectors.lifecycle` makes the changes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connectors import actions, lifecycle
from connectors.models import Connection
from ekyam.roles import can_edit
from ekyam.tenancy import get_scoped_or_404, scoped


@login_required
def connection_list(request):
    connections = scoped(Connection, request.organization).order_by("name")
    return render(request, "connectors/connection_list.html", {"connections": connections})


class RenameForm(forms.Form):
    name = forms.CharField(label="Connection name", max_length=120)


@login_required
def connection_detail(request, pk):
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    return _detail_page(request, connection, RenameForm(initial={"name": connection.name}))


def _detail_page(request, connection, rename_form, status=200):
    try:
        connector = connection.connector_class
    except LookupError:
        connector = None
    return render(
        request,
        "connectors/connection_detail.html",
        {
            "connection": connection,
            "connector": connector,
            "masked": sorted(connection.masked_credentials().items()),
            "can_check": can_edit(request),
            "rename_form": rename_form,
            "dependents": lifecycle.dependents(connection),
        },
        status=status,
    )


def _editable(request, pk) -> Connection:
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    if not can_edit(request):
        raise PermissionDenied
    return connection


@login_required
@require_POST
def connection_rename(request, pk):
    connection = _editable(request, pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        old = connection.name
        try:
            lifecycle.rename_connection(connection, form.cleaned_data["name"])
        except DjangoValidationError as exc:
            for message in exc.message_dict.get("name", exc.messages):
                form.add_error("name", message)
        else:
            messages.success(request, f"Renamed {old} to {connection.name}.")
            return redirect("connection-detail", pk=connection.pk)
    connection.refresh_from_db()
    return _detail_page(request, connection, form, status=400)


@login_required
def connection_delete(request, pk):
    """GET: what deleting would do (workflows that use it block it; mappings go with it). POST: delete."""
    connection = _editable(request, pk)
    error = ""
    if request.method == "POST":
        try:
            lifecycle.delete_connection(connection)
        except DjangoValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Deleted the connection {connection.name}.")
            return redirect("connection-list")
    return render(
        request,
        "connectors/connection_delete.html",
        {"connection": connection, "dependents": lifecycle.dependents(connection), "error": error},
        status=409 if error else 200,
    )


@login_required
@require_POST
def connection_check(request, pk):
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    if not can_edit(request):
        raise PermissionDenied
    result = actions.check_connection(connection)
    if result.ok:
        lifecycle.subscribe_sandbox_webhooks(connection)  # again, should the sandbox have started afresh
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("connection-detail", pk=connection.pk)
