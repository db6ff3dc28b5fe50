"""Shared fixtures: organizations, users by role, API clients."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ekyam import actions
from ekyam.models import Role


@pytest.fixture
def org_a(db):
    return actions.create_organization("Acme Apparel")


@pytest.fixture
def org_b(db):
    return actions.create_organization("Bolt Bikes")


def _member(org, username, role, **extra):
    user = actions.create_user(username, "pw-" + username + "-x9!", email=f"{username}@example.com", **extra)
    actions.add_member(org, user, role)
    return user


def _member_fixture(organization: str, username: str, role: str):
    """A fixture: a user of the organization fixture named `organization`, in `role`."""

    @pytest.fixture
    def member(request):
        return _member(request.getfixturevalue(organization), username, role)

    return member


owner_a = _member_fixture("org_a", "owner_a", Role.OWNER)
admin_a = _member_fixture("org_a", "admin_a", Role.ADMIN)
developer_a = _member_fixture("org_a", "dev_a", Role.DEVELOPER)
viewer_a = _member_fixture("org_a", "viewer_a", Role.VIEWER)
owner_b = _member_fixture("org_b", "owner_b", Role.OWNER)


@pytest.fixture
def make_member():
    return _member


@pytest.fixture
def api_client():
    return APIClient()


def _signed_in(client_class):
    def build(user):
        client = client_class()
        client.force_login(user)
        return client

    return build


@pytest.fixture
def client_for():
    """An APIClient logged in (session auth) as the given user."""
    return _signed_in(APIClient)


@pytest.fixture
def web_for():
    """A Django test client logged in as the given user (session auth, like the browser)."""
    return _signed_in(Client)


@pytest.fixture
def key_client_for():
    """An APIClient authenticating with a fresh API key of the given organization and role."""

    def build(organization, role=Role.DEVELOPER):
        _key, raw = actions.create_api_key(organization, f"test {role}", role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return build
