"""The portal pages of the core: home, switching organization, and the organization settings (API keys,
members). Thin: forms validate, actions change state."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ekyam import actions, handover
from ekyam.forms import AddMemberForm, ApiKeyForm
from ekyam.models import ApiKey, Membership, Role
from ekyam.roles import has_role, require_role
from ekyam.tenancy import get_scoped_or_404, scoped, switch_organization


@login_required
def home(request):
    return render(request, "home.html")


@login_required
@require_POST
def switch_org(request):
    switch_organization(request, int(request.POST.get("organization", "0") or 0))
    return redirect(request.POST.get("next") or "home")


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


@login_required
def members(request):
    require_role(request, Role.VIEWER)
    form = AddMemberForm(request.POST or None)
    if request.method == "POST":
        require_role(request, Role.OWNER if request.POST.get("role") == Role.OWNER else Role.ADMIN)
        if form.is_valid():
            membership = actions.add_member(
                request.organization, form.cleaned_data["username"], form.cleaned_data["role"]
            )
            messages.success(
                request, f"{membership.user.username} is now a {membership.role} of {request.organization}."
            )
            return redirect("settings-members")
    memberships = scoped(Membership, request.organization).select_related("user")
    return render(
        request,
        "settings/members.html",
        {"memberships": memberships, "form": form, "can_manage": has_role(request, Role.ADMIN)},
    )
