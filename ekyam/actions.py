"""State changes of the tenancy layer: organizations, sign-up, members and the owner rule,
invitations, API keys."""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from ekyam.models import (
    ApiKey,
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    Role,
    generate_api_key,
    hash_api_key,
    hash_invitation_token,
    role_at_least,
)

log = logging.getLogger(__name__)

# The seeded demo's slug; nobody else's organization gets it, so `seed_demo` never adopts theirs.
DEMO_SLUG = "demo"


def _unique_slug(name: str, *, demo: bool = False) -> str:
    base = DEMO_SLUG if demo else (slugify(name)[:70] or "org")
    slug, n = base, 1
    while (slug == DEMO_SLUG and not demo) or Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_organization(name: str, owner=None, *, demo: bool = False) -> Organization:
    organization = Organization.objects.create(name=name, slug=_unique_slug(name, demo=demo), is_demo=demo)
    if owner is not None:
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    return organization


def add_member(organization: Organization, user, role: str = Role.VIEWER) -> Membership:
    """Seeding and tests only: people join through `accept_invitation`."""
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    return membership


def create_user(username: str, password: str, email: str = "", **extra):
    return get_user_model().objects.create_user(username=username, password=password, email=email, **extra)


@transaction.atomic
def sign_up(username: str, email: str, password: str, organization_name: str) -> tuple:
    """A new person with their own organization, of which they are the owner."""
    user = create_user(username, password, email=email)
    return user, create_organization(organization_name, owner=user)


# --- The owner rule -------------------------------------------------------------------------------


class MemberChangeRefused(Exception):
    """`code` is "forbidden" (the caller's role does not allow it) or "last_owner"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def check_role_grant(actor_role: str | None, role: str) -> None:
    """Admins manage people; only owners give the owner role."""
    if not role_at_least(actor_role, Role.ADMIN):
        raise MemberChangeRefused("Managing members needs the admin role or higher.", "forbidden")
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise MemberChangeRefused("Only an owner can make someone an owner.", "forbidden")


def may_manage(actor_role: str | None, member_role: str) -> bool:
    """Whether the caller may change or remove a member with `member_role` at all (the page shows the
    controls from this; the last-owner check comes on top, in `_check_member_change`)."""
    return role_at_least(actor_role, Role.ADMIN) and (member_role != Role.OWNER or actor_role == Role.OWNER)


def _check_member_change(actor_role: str | None, membership: Membership, new_role: str | None) -> None:
    """The one rule the members page, the API and the admin apply (`new_role` None = removal)."""
    check_role_grant(actor_role, new_role or Role.VIEWER)
    if not may_manage(actor_role, membership.role):
        raise MemberChangeRefused("Only an owner can change or remove an owner.", "forbidden")
    if membership.role == Role.OWNER and new_role != Role.OWNER:
        # Locking every owner row of the organization serializes two owners demoting each other.
        owners = list(
            Membership.objects.select_for_update()
            .filter(organization_id=membership.organization_id, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
        if owners == [membership.pk]:
            raise MemberChangeRefused(
                "This is the organization's last owner: make someone else owner first.", "last_owner"
            )


@transaction.atomic
def change_member_role(actor_role: str | None, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise MemberChangeRefused(f"Unknown role “{role}”.", "invalid")
    _check_member_change(actor_role, membership, role)
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(actor_role: str | None, membership: Membership) -> None:
    _check_member_change(actor_role, membership, None)
    membership.delete()  # ekyam.access closes the person's WebSockets on commit


# --- Invitations ----------------------------------------------------------------------------------


class InvitationUnusable(Exception):
    """The link is expired, revoked or already used (`status` says which)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class InvitationMailFailed(Exception):
    """The invitation is saved but its e-mail could not be handed to the mail server."""


def invite(
    organization: Organization, email: str, role: str, *, invited_by, actor_role: str | None, accept_url
) -> Invitation:
    """Create an invitation and e-mail its link once it is committed. `accept_url(token)` builds the link.

    The answer is the same whether or not anyone with that address has an account: adding a person
    is always an invitation they accept. A new invitation to the same address replaces a pending one.
    Raises InvitationMailFailed when the mail server refuses (outside a caller's transaction, where
    the mail goes out at once).
    """
    invitation, link = _create_invitation(organization, email, role, invited_by=invited_by, actor_role=actor_role,
                                          accept_url=accept_url)  # fmt: skip
    # The raw token exists only in the link, which goes into the mail and nowhere else.
    transaction.on_commit(lambda: _send_invitation(invitation, link))
    return invitation


@transaction.atomic
def _create_invitation(organization, email, role, *, invited_by, actor_role, accept_url) -> tuple[Invitation, str]:
    check_role_grant(actor_role, role)
    now = timezone.now()
    email = email.strip()
    organization.invitations.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_invitation_token(raw_token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    return invitation, accept_url(raw_token)


def _send_invitation(invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link, "days": settings.INVITATION_DAYS}
    try:
        send_mail(
            subject=f"You're invited to {invitation.organization.name} on Ekyam",
            message=render_to_string("emails/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (smtplib.SMTPException, OSError) as error:
        log.warning("Invitation %s: the mail server refused the e-mail: %s", invitation.pk, error)
        raise InvitationMailFailed(f"{type(error).__name__}: {error}") from error


def find_invitation(raw_token: str) -> Invitation | None:
    if not raw_token:
        return None
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=hash_invitation_token(raw_token))
        .first()
    )


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> Membership:
    """Make `user` a member with the invited role; the link then stops working.

    Someone who already belongs keeps their membership as it is (roles change on the members page).
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationUnusable(invitation.status)
    membership, _ = Membership.objects.get_or_create(
        organization_id=invitation.organization_id, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def sign_up_through_invitation(invitation: Invitation, username: str, password: str) -> tuple:
    user = create_user(username, password, email=invitation.email)
    return user, accept_invitation(invitation, user)


def revoke_invitation(invitation: Invitation) -> Invitation:
    if invitation.status == InvitationStatus.PENDING:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


# --- API keys ---------------------------------------------------------------------------------------


def create_api_key(
    organization: Organization, name: str, role: str = Role.DEVELOPER, created_by=None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is not stored and cannot be shown again."""
    prefix, raw = generate_api_key()
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        role=role,
        prefix=prefix,
        key_hash=hash_api_key(raw),
        created_by=created_by,
    )
    return key, raw


def revoke_api_key(key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
