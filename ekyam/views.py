"""The portal pages of the core: home, switching organization, and the organization settings (API keys,
members and invitations). Thin: forms validate, actions change state."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ekyam import actions, handover, throttle
from ekyam.api.errors import json_error_view
from ekyam.forms import ApiKeyForm, InviteForm, MemberRoleForm, grantable_roles
from ekyam.models import ApiKey, Invitation, Membership, Role
from ekyam.roles import has_role, require_role
from ekyam.tenancy import get_scoped_or_404, scoped, switch_organization


@login_required
def home(request):
    return render(request, "home.html")


@login_required
@require_POST
def switch_org(request):
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        raise Http404("Not found.") from None
    membership = switch_organization(request, organization_id)
    messages.info(request, f"You are now working in {membership.organization.name}.")
    # Only a path on this site: a posted `next` must not send the person elsewhere.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    return redirect(target)


NEW_KEY_SLOT = "new-api-key"


def _hand_over_new_key(request, raw: str) -> None:
    handover.hand_over(request, NEW_KEY_SLOT, raw)


def _take_new_key(request) -> str | None:
    return handover.take(request, NEW_KEY_SLOT)


@login_required
def api_keys(request):
    require_role(request, Role.VIEWER)
    form = ApiKeyForm(request.POST or None, caller_role=request.role)
    # The new secret reaches the page after the redirect through `ekyam.handover` (for a minute at most, under
    # a one-time name the session carries) and is deleted as it is shown: a reload neither re-creates a
    # key nor shows it again, and no session row ever holds it.
    new_key = _take_new_key(request)
    if request.method == "POST":
        require_role(request, Role.ADMIN)
        if form.is_valid():
            key, raw = actions.create_api_key(request.organization, created_by=request.user, **form.cleaned_data)
            _hand_over_new_key(request, raw)
            messages.success(request, f"Created key “{key.name}”. Copy it now: it will not be shown again.")
            return redirect("settings-api-keys")
    keys = scoped(ApiKey, request.organization).select_related("created_by")
    can_manage = has_role(request, Role.ADMIN)
    return render(
        request, "settings/api_keys.html", {"keys": keys, "form": form, "new_key": new_key, "can_manage": can_manage}
    )


@login_required
@require_POST
def revoke_api_key(request, pk):
    require_role(request, Role.ADMIN)
    key = actions.revoke_api_key(get_scoped_or_404(ApiKey, request.organization, pk=pk))
    messages.success(request, f"Revoked key “{key.name}”.")
    return redirect("settings-api-keys")


def _accept_url(request):
    return lambda token: request.build_absolute_uri(reverse("invitation-accept", args=[token]))


@login_required
def members(request):
    """Members and invitations. Adding a person is always an invitation they accept by e-mail link."""
    require_role(request, Role.VIEWER)
    form = InviteForm(request.POST or None, caller_role=request.role)
    if request.method == "POST":
        require_role(request, Role.ADMIN)
        if form.is_valid():
            if not throttle.allow("invite", str(request.organization.pk), settings.INVITATIONS_PER_HOUR):
                return render(request, "registration/too_many.html", {"what": "invitations"}, status=429)
            email, role = form.cleaned_data["email"], form.cleaned_data["role"]
            try:
                actions.invite(
                    request.organization,
                    email,
                    role,
                    invited_by=request.user,
                    actor_role=request.role,
                    accept_url=_accept_url(request),
                )
            except actions.MemberChangeRefused as refused:
                raise PermissionDenied(str(refused)) from None
            except actions.InvitationMailFailed as failed:
                messages.error(
                    request,
                    f"The invitation to {email} is saved, but its e-mail could not be sent ({failed}). "
                    "Check the e-mail settings (EKYAM_EMAIL_*), then invite again: a new invitation replaces it.",
                )
                return redirect("settings-members")
            # The same answer whether or not the address has an account (no enumeration).
            messages.success(
                request, f"Invitation sent to {email}. The link works once, for {settings.INVITATION_DAYS} days."
            )
            return redirect("settings-members")
    memberships = scoped(Membership, request.organization).select_related("user")
    rows = [{"membership": m, "can_change": actions.may_manage(request.role, m.role)} for m in memberships]
    return render(
        request,
        "settings/members.html",
        {
            "rows": rows,
            "form": form,
            "invitations": scoped(Invitation, request.organization).select_related("invited_by")[:50],
            "can_manage": has_role(request, Role.ADMIN),
            "role_choices": grantable_roles(request.role),
        },
    )


def _member_change(request, pk, change):
    require_role(request, Role.ADMIN)
    membership = get_scoped_or_404(Membership.objects.select_related("user"), request.organization, pk=pk)
    try:
        text = change(membership)
    except actions.MemberChangeRefused as refused:
        if refused.code == "forbidden":
            raise PermissionDenied(str(refused)) from None
        messages.error(request, str(refused))
    else:
        messages.success(request, text)
    return redirect("settings-members")


@login_required
@require_POST
def member_role(request, pk):
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles offered.")
        return redirect("settings-members")
    role = form.cleaned_data["role"]

    def change(membership):
        actions.change_member_role(request.role, membership, role)
        return f"{membership.user.username} is now {membership.get_role_display().lower()}."

    return _member_change(request, pk, change)


@login_required
@require_POST
def member_remove(request, pk):
    def change(membership):
        actions.remove_member(request.role, membership)
        return f"Removed {membership.user.username} from {request.organization}."

    return _member_change(request, pk, change)


@login_required
@require_POST
def invitation_revoke(request, pk):
    require_role(request, Role.ADMIN)
    invitation = actions.revoke_invitation(get_scoped_or_404(Invitation, request.organization, pk=pk))
    messages.success(request, f"The invitation to {invitation.email} is {invitation.get_status_display().lower()}.")
    return redirect("settings-members")


def permission_denied(request, exception=None):
    """A signed-in person who belongs to no organization is sent to the page that says what to do;
    everyone else gets the refusal with its reason."""
    if request.path.startswith("/api/"):
        return json_error_view(403, "permission_denied", "You do not have permission to perform this action.")(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(request, "organization", None) is None:
        return redirect("welcome")
    reason = str(exception) if exception is not None and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)
