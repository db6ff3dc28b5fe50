"""Role checks. Reading needs membership; writing needs the view's `write_role` (developer by default)."""

from __future__ import annotations

from rest_framework import permissions

from ekyam.models import Role, role_at_least


class IsOrganizationMember(permissions.BasePermission):
    message = "You need to belong to an organization to use this endpoint."

    def has_permission(self, request, view):
        if getattr(request, "organization", None) is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return role_at_least(request.role, getattr(view, "read_role", Role.VIEWER))
        required = getattr(view, "write_role", Role.DEVELOPER)
        if role_at_least(request.role, required):
            return True
        self.message = f"This action needs the {required} role or higher."
        return False
