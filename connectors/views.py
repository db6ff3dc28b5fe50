"""Portal pages of connections: a list with status, and a detail page with a "Check now" button.
(The setup wizard that creates connections lives in workflows/wizard.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connectors import actions
from connectors.models import Connection
from ekyam.roles import can_edit
from ekyam.tenancy import get_scoped_or_404, scoped


@login_required
def connection_list(request):
    connections = scoped(Connection, request.organization).order_by("name")
    return render(request, "connectors/connection_list.html", {"connections": connections})


@login_required
def connection_detail(request, pk):
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
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
        },
    )


@login_required
@require_POST
def connection_check(request, pk):
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    if not can_edit(request):
        raise PermissionDenied
    result = actions.check_connection(connection)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("connection-detail", pk=connection.pk)
