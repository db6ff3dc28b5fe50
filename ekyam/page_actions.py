"""The shape every page action on one row shares: signed in, POST only, the role it needs, and the row
looked up in the current organization (404 outside it), so each view says only what it does."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from ekyam.roles import require_role
from ekyam.tenancy import get_scoped_or_404


def row_action(model, role):
    """Decorate `view(request, row, **url_kwargs)`; the URL names the row by `pk`."""

    def decorate(view):
        @login_required
        @require_POST
        @wraps(view)
        def action(request, pk, **kwargs):
            require_role(request, role)
            return view(request, get_scoped_or_404(model, request.organization, pk=pk), **kwargs)

        return action

    return decorate
