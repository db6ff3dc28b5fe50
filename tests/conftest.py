"""Shared fixtures: organizations, users by role, API clients."""

from __future__ import annotations

import pytest
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


@pytest.fixture
def owner_a(org_a):
    return _member(org_a, "owner_a", Role.OWNER)


@pytest.fixture
def admin_a(org_a):
    return _member(org_a, "admin_a", Role.ADMIN)


@pytest.fixture
def developer_a(org_a):
    return _member(org_a, "dev_a", Role.DEVELOPER)


@pytest.fixture
def viewer_a(org_a):
    return _member(org_a, "viewer_a", Role.VIEWER)


@pytest.fixture
def owner_b(org_b):
    return _member(org_b, "owner_b", Role.OWNER)


@pytest.fixture
def make_member():
    return _member


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """An APIClient logged in (session auth) as the given user."""

    def build(user):
        client = APIClient()
        client.force_login(user)
        return client

    return build


@pytest.fixture
def key_client_for():
    """An APIClient authenticating with a fresh API key of the given organization and role."""

    def build(organization, role=Role.DEVELOPER):
        _key, raw = actions.create_api_key(organization, f"test {role}", role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return build
