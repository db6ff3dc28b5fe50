"""The operator console lists connections with their status, scoped by organization, never showing secrets."""

import pytest
from django.contrib.auth.models import Permission

from connectors import actions
from connectors.netsuite.connector import NetSuiteConnector
from ekyam.models import Role
from tests.connectors.conftest import SECRETS

pytestmark = pytest.mark.django_db


def test_admin_shows_status_and_masked_credentials(admin_client, ns_connection):
    actions.check_connection(ns_connection)
    listing = admin_client.get("/admin/connectors/connection/?status__exact=verified")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "NetSuite production" in text and "Verified" in text
    detail = admin_client.get(f"/admin/connectors/connection/{ns_connection.pk}/change/")
    text = detail.content.decode()
    assert detail.status_code == 200 and "••••" in text
    assert all(secret not in text for secret in SECRETS)
    assert admin_client.get("/admin/connectors/connection/?q=production").status_code == 200


def test_staff_see_only_their_organizations_connections(client, org_a, org_b, make_member, ns_connection):
    staff = make_member(org_a, "ops_a", Role.ADMIN, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="connectors"))
    other = actions.create_connection(
        org_b,
        connector_type="netsuite",
        name="Bolt NetSuite",
        credentials=NetSuiteConnector.sandbox_credentials("http://127.0.0.1:9"),
    )
    client.force_login(staff)
    listing = client.get("/admin/connectors/connection/").content.decode()
    assert "NetSuite production" in listing and "Bolt NetSuite" not in listing
    assert client.get(f"/admin/connectors/connection/{other.pk}/change/").status_code == 302
