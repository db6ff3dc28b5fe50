"""The one scoping helper every queryset passes through, and how a request finds its organization.

Tenant-owned models inherit `OrgOwned`. Views, API viewsets, admin classes and WebSocket consumers
call `scoped(model_or_queryset, organization)`; an object of another organization is then simply
not found (404), so ids never reveal that it exists.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Model, QuerySet
from django.http import Http404

from ekyam.models import Membership, Organization, Role

SESSION_KEY = "organization_id"


class OrgOwned(models.Model):
    """Abstract base for everything that belongs to one organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


def scoped(model_or_queryset: type[Model] | QuerySet, organization: Organization | None) -> QuerySet:
    queryset = (
        model_or_queryset if isinstance(model_or_queryset, QuerySet) else model_or_queryset._default_manager.all()
    )
    if organization is None:
        return queryset.none()
    # Child rows without their own organization column name the path to it (`organization_path`).
    path = getattr(queryset.model, "organization_path", "organization")
    return queryset.filter(**{path: organization})


def get_scoped_or_404(model_or_queryset, organization: Organization | None, **lookup):
    try:
        return scoped(model_or_queryset, organization).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def memberships_of(user) -> QuerySet:
    if not user or not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization")


def organizations_of(user) -> QuerySet:
    if not user or not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def resolve_membership(request) -> Membership | None:
    """The membership a browser session acts in: the one chosen in the session, else the first."""
    memberships = memberships_of(getattr(request, "user", None))
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if chosen is not None:
        membership = memberships.filter(organization_id=chosen).first()
        if membership:
            return membership
    return memberships.order_by("created_at", "pk").first()


def switch_organization(request, organization_id: int) -> Membership:
    membership = memberships_of(request.user).filter(organization_id=organization_id).first()
    if membership is None:
        raise Http404("Not found.")
    request.session[SESSION_KEY] = membership.organization_id
    return membership


class OrganizationMiddleware:
    """Attach `request.organization` and `request.role` for session-authenticated users.

    API-key requests are resolved by DRF authentication instead (see ekyam.api.authentication),
    which overwrites both attributes on the underlying request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = resolve_membership(request) if request.user.is_authenticated else None
        request.organization = membership.organization if membership else None
        request.role = membership.role if membership else None
        return self.get_response(request)


# Pages a signed-in person without an organization may still open: how to get one, signing out,
# resetting a password, operations, the API (which answers 403 in its own error shape) and the admin.
OPEN_WITHOUT_ORGANIZATION = {
    "welcome", "organization-new", "invitation-accept", "signup", "login", "logout", "password_reset",
    "password_reset_done", "password_reset_confirm", "password_reset_complete", "healthz", "readyz", "metrics",
}  # fmt: skip


class NoOrganizationMiddleware:
    """A signed-in person who belongs to no organization is shown the page that says what to do
    (create one, or ask for an invitation) instead of empty or refused portal pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "organization", None) is not None:
            return None
        match = request.resolver_match
        if match is None or match.url_name in OPEN_WITHOUT_ORGANIZATION or "admin" in match.namespaces:
            return None
        if request.path.startswith(("/api/", "/hooks/", "/static/")):
            return None
        from django.shortcuts import redirect

        return redirect("welcome")


def organization_context(request):
    user = getattr(request, "user", None)
    return {
        "current_organization": getattr(request, "organization", None),
        "current_role": getattr(request, "role", None),
        "user_memberships": memberships_of(user) if user and user.is_authenticated else [],
        "Role": Role,
    }
