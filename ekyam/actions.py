"""State changes of the tenancy layer: organizations, members, API keys."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ekyam.models import ApiKey, Membership, Organization, Role, generate_api_key, hash_api_key


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_organization(name: str, owner=None) -> Organization:
    organization = Organization.objects.create(name=name, slug=_unique_slug(name))
    if owner is not None:
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    return organization


def add_member(organization: Organization, user, role: str = Role.VIEWER) -> Membership:
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    return membership


def create_user(username: str, password: str, email: str = "", **extra):
    return get_user_model().objects.create_user(username=username, password=password, email=email, **extra)


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
