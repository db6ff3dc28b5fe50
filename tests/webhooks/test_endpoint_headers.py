"""Endpoint custom headers are secrets: encrypted at rest by the vault, masked on every read (API,
pages, admin), kept when a masked value is sent back, and sent in full with deliveries."""

from __future__ import annotations

import pytest
from django.db import connection

from ekyam.models import Role
from webhooks import actions
from webhooks.delivery import Job, _signed_headers
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

SECRET = "Bearer sk_live_4f3e2d1c0b9a8877"


def _stored_column(endpoint_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT headers_encrypted FROM webhooks_endpoint WHERE id = %s", [endpoint_id])
        return cursor.fetchone()[0]


def test_headers_are_encrypted_masked_and_kept(client_for, developer_a, viewer_a, org_a, make_member, client):
    api = client_for(developer_a)
    created = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "http://127.0.0.1:9/hook", "headers": {"Authorization": SECRET, "X-Team": "ops"}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["headers"] == {"Authorization": "••••8877", "X-Team": "••••"}
    endpoint = Endpoint.objects.get(pk=created.json()["id"])
    column = _stored_column(endpoint.pk)
    assert column and "sk_live" not in column and "ops" not in column
    assert endpoint.headers == {"Authorization": SECRET, "X-Team": "ops"}

    read = client_for(viewer_a).get(f"/api/v1/webhook-endpoints/{endpoint.pk}/").json()
    assert SECRET not in str(read) and read["headers"]["Authorization"] == "••••8877"

    # Sending the masked value back keeps the secret; a new value replaces, a new name adds.
    patched = api.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}/",
        {"headers": {"Authorization": "••••8877", "X-Team": "billing", "X-New": "1"}},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    endpoint.refresh_from_db()
    assert endpoint.headers == {"Authorization": SECRET, "X-Team": "billing", "X-New": "1"}

    page = client_for(viewer_a).get(f"/developers/webhooks/endpoints/{endpoint.pk}/")
    assert page.status_code == 200 and b"sk_live" not in page.content

    staff = make_member(org_a, "staff_dev", Role.DEVELOPER, is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    client.force_login(staff)
    admin_page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")
    assert admin_page.status_code == 200 and b"sk_live" not in admin_page.content and "••••8877" in admin_page.text


def test_deliveries_send_the_full_header(org_a):
    endpoint, _secret = actions.create_endpoint(org_a, url="http://127.0.0.1:9/hook", headers={"Authorization": SECRET})
    endpoint = Endpoint.objects.get(pk=endpoint.pk)
    job = Job.__new__(Job)
    for name, value in {"url": endpoint.url, "custom_headers": endpoint.headers, "secrets_token": endpoint.secrets_encrypted,
                        "webhook_id": "msg_1", "body": b"{}"}.items():  # fmt: skip
        object.__setattr__(job, name, value)
    assert _signed_headers(job, require_https=False)["Authorization"] == SECRET
