"""People joining: sign-up with a new organization, accepting an invitation link (logged in or signing
up through it), creating another organization, the page for someone who belongs to none, and the
password reset pages. Thin: forms validate, `ekyam.actions` changes state, `ekyam.throttle` limits
what anyone may post."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy

from ekyam import actions, throttle
from ekyam.forms import InvitedSignupForm, OrganizationForm, SignupForm
from ekyam.models import InvitationStatus
from ekyam.tenancy import SESSION_KEY, memberships_of

# Signed-up people sign in with the password they just chose; axes' backend needs a request.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def too_many(request, what: str):
    return render(request, "registration/too_many.html", {"what": what}, status=429)


def _allow_signup_attempt(request) -> bool:
    return throttle.allow("signup", throttle.client_address(request), settings.SIGNUP_ATTEMPTS_PER_HOUR)


def signup(request):
    if request.user.is_authenticated:
        return redirect("organization-new")
    if not settings.SIGNUP_OPEN:
        return render(request, "registration/signup_closed.html", status=403)
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if not _allow_signup_attempt(request):
            return too_many(request, "sign-up attempts")
        if form.is_valid():
            data = form.cleaned_data
            user, organization = actions.sign_up(
                data["username"], data["email"], data["password1"], data["organization_name"]
            )
            login(request, user, backend=MODEL_BACKEND)
            welcome = f"Welcome to Ekyam. {organization.name} is yours: connect your first system."
            return _enter(request, organization.pk, welcome, "wizard-start")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def new_organization(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = actions.create_organization(form.cleaned_data["organization_name"], owner=request.user)
        return _enter(request, organization.pk, f"Created {organization.name}; you are its owner.", "wizard-start")
    return render(request, "registration/organization_new.html", {"form": form})


@login_required
def welcome(request):
    """For someone who belongs to no organization: what to do next, instead of a refusal."""
    if memberships_of(request.user).exists():
        return redirect("home")
    return render(request, "registration/welcome.html")


def invitation(request, token: str):
    """The link in the invitation e-mail. Logged in: a button to join. Not logged in: sign up here
    (or log in and come back)."""
    found = actions.find_invitation(token)
    if found is None:
        return render(request, "registration/invitation_invalid.html", {"status": None}, status=404)
    if found.status != InvitationStatus.PENDING:
        return render(request, "registration/invitation_invalid.html", {"status": found.status}, status=410)
    form = None if request.user.is_authenticated else InvitedSignupForm(request.POST or None, email=found.email)
    if request.method == "POST":
        if request.user.is_authenticated:
            return _join(request, found, request.user)
        if not _allow_signup_attempt(request):
            return too_many(request, "sign-up attempts")
        if form.is_valid():
            try:
                user, _ = actions.sign_up_through_invitation(
                    found, form.cleaned_data["username"], form.cleaned_data["password1"]
                )
            except actions.InvitationUnusable as refused:
                return render(request, "registration/invitation_invalid.html", {"status": refused.status}, status=410)
            login(request, user, backend=MODEL_BACKEND)
            return _joined(request, found)
    already = (
        request.user.is_authenticated
        and memberships_of(request.user).filter(organization_id=found.organization_id).exists()
    )
    return render(
        request,
        "registration/invitation.html",
        {
            "invitation": found,
            "form": form,
            "already_member": already,
            "login_url": f"{reverse('login')}?next={request.path}",
        },
    )


def _join(request, found, user):
    try:
        actions.accept_invitation(found, user)
    except actions.InvitationUnusable as refused:
        return render(request, "registration/invitation_invalid.html", {"status": refused.status}, status=410)
    return _joined(request, found)


def _joined(request, found):
    return _enter(request, found.organization_id, f"You are now a member of {found.organization.name}.", "home")


def _enter(request, organization_id: int, message: str, page: str):
    """Into the organization just created or joined: it becomes the session's, then on to `page`."""
    request.session[SESSION_KEY] = organization_id
    messages.success(request, message)
    return redirect(page)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset (which answers the same whether or not the address has an account), with the
    portal's templates and a limit per client address and per e-mail address."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        limit = settings.PASSWORD_RESET_REQUESTS_PER_HOUR
        email = request.POST.get("email", "").strip()
        by_address = throttle.allow("reset-address", throttle.client_address(request), limit)
        by_email = throttle.allow("reset-email", email, limit) if email else True
        if not (by_address and by_email):
            return too_many(request, "password reset requests")
        return super().post(request, *args, **kwargs)


password_reset_urls = [
    ("password-reset/", ThrottledPasswordResetView.as_view(), "password_reset"),
    (
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_sent.html"),
        "password_reset_done",
    ),
    (
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        "password_reset_confirm",
    ),
    (
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        "password_reset_complete",
    ),
]
