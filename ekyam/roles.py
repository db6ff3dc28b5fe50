"""Role checks of the portal pages (the API's are `ekyam.api.permissions`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from ekyam.models import Role, role_at_least

# The least role that may change things (connections, mappings, workflows, endpoints).
WRITE_ROLE = Role.DEVELOPER


def has_role(request, role) -> bool:
    return role_at_least(getattr(request, "role", None), role)


def require_role(request, role=Role.VIEWER) -> None:
    """403 unless the user's role in the current organization is at least `role`."""
    if not has_role(request, role):
        raise PermissionDenied(f"This page needs the {role} role or higher.")


def can_edit(request) -> bool:
    return has_role(request, WRITE_ROLE)
