"""The API and the portal pages: endpoint lifecycle, catalog, DLQ operations, tenant isolation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ekyam.models import Role
from tests.webhooks.deliveries import delivery_for
from webhooks import actions
from webhooks.models import DeadLetter, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def _dead_letter(org, endpoint, event_type="shipment.synced"):
    message, delivery = delivery_for(
        org, endpoint, event_type, data={}, attempt_count=4, status="dead", next_attempt_at=None
    )
    return DeadLetter.objects.create(
        organization=org,
        delivery=delivery,
        endpoint=endpoint,
        event_type=event_type,
        payload=message.body,
        reason="HTTP 500",
    )


def test_endpoint_lifecycle_through_the_api(org_a, developer_a, client_for):
    client = client_for(developer_a)
    created = client.post(
        "/api/v1/webhook-endpoints/",
        {
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["shipment.synced"],
            "headers": {"X-A": "b"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    pk = body["id"]
    assert "secret" not in client.get(f"/api/v1/webhook-endpoints/{pk}/").json()
    assert "secrets_encrypted" not in client.get(f"/api/v1/webhook-endpoints/{pk}/").json()
    assert client.post(f"/api/v1/webhook-endpoints/{pk}/reveal-secret/").json()["secret"] == body["secret"]
    assert client.post(f"/api/v1/webhook-endpoints/{pk}/reveal-secret/").status_code == 400
    rotated = client.post(f"/api/v1/webhook-endpoints/{pk}/rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_") and rotated != body["secret"]
    assert client.post(f"/api/v1/webhook-endpoints/{pk}/disable/").json()["is_active"] is False
    assert client.post(f"/api/v1/webhook-endpoints/{pk}/enable/").json()["is_active"] is True
    assert client.post(f"/api/v1/webhook-endpoints/{pk}/test/").status_code == 202
    assert Delivery.objects.filter(endpoint_id=pk, message__event_type="webhook.test").exists()
    bad = client.patch(f"/api/v1/webhook-endpoints/{pk}/", {"url": "http://169.254.169.254/"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()["error"]["fields"]
    bad = client.patch(f"/api/v1/webhook-endpoints/{pk}/", {"event_types": ["nope.x"]}, format="json")
    assert bad.status_code == 400


def test_viewer_cannot_create_endpoints(org_a, viewer_a, client_for):
    response = client_for(viewer_a).post("/api/v1/webhook-endpoints/", {"url": "http://127.0.0.1:9/"}, format="json")
    assert response.status_code == 403


def test_event_type_catalog(org_a, viewer_a, client_for):
    types = {t["type"]: t for t in client_for(viewer_a).get("/api/v1/event-types/").json()}
    for name in [
        "product.synced",
        "shipment.synced",
        "shipment.shipped",
        "inventory.updated",
        "workflow.run.started",
        "workflow.run.succeeded",
        "workflow.run.failed",
        "workflow.status.changed",
        "connection.status.changed",
        "record_error.created",
        "webhook.endpoint.disabled",
        "webhook.message.dead_lettered",
    ]:
        assert types[name]["schema"]["type"] == "object" and types[name]["example"]
    import jsonschema

    for entry in types.values():
        jsonschema.validate(entry["example"], entry["schema"])


def test_dead_letter_filters_replay_and_delete(org_a, developer_a, client_for):
    client = client_for(developer_a)
    one, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/one")
    two, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/two")
    a = _dead_letter(org_a, one)
    b = _dead_letter(org_a, two, "inventory.updated")
    c = _dead_letter(org_a, two)
    assert [d["id"] for d in client.get(f"/api/v1/dead-letters/?endpoint={two.pk}").json()["results"]] == [c.pk, b.pk]
    assert [d["id"] for d in client.get("/api/v1/dead-letters/?event_type=inventory.updated").json()["results"]] == [
        b.pk
    ]
    assert client.post(f"/api/v1/dead-letters/{a.pk}/replay/").json() == {"replayed": 1}
    assert Delivery.objects.get(pk=a.delivery_id).status == "pending"
    assert client.post("/api/v1/dead-letters/replay-selected/", {"ids": [a.pk, b.pk]}, format="json").json() == {
        "replayed": 1
    }
    since = (timezone.now() - timezone.timedelta(minutes=1)).isoformat()
    assert client.post("/api/v1/dead-letters/replay-since/", {"since": since}, format="json").json() == {"replayed": 1}
    DeadLetter.objects.filter(pk=c.pk).update(status="dead")
    assert client.delete(f"/api/v1/dead-letters/{c.pk}/").status_code == 204


def test_tenant_isolation_of_endpoints_messages_and_dlq(org_a, org_b, owner_a, owner_b, client_for, key_client_for):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/")
    dead = _dead_letter(org_a, endpoint)
    message = dead.delivery.message
    for client in (client_for(owner_b), key_client_for(org_b, Role.ADMIN)):
        assert client.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/").status_code == 404
        assert client.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate-secret/").status_code == 404
        assert client.get(f"/api/v1/webhook-messages/{message.pk}/").status_code == 404
        assert client.get(f"/api/v1/dead-letters/{dead.pk}/").status_code == 404
        assert client.post(f"/api/v1/dead-letters/{dead.pk}/replay/").status_code == 404
        assert client.get("/api/v1/webhook-endpoints/").json()["results"] == []
        assert client.get("/api/v1/dead-letters/").json()["results"] == []
        replayed = client.post("/api/v1/dead-letters/replay-since/", {"since": "2000-01-01T00:00:00Z"}, format="json")
        assert replayed.json() == {"replayed": 0}
    portal = client_for(owner_b)
    for url in (
        f"/developers/webhooks/endpoints/{endpoint.pk}/",
        f"/developers/webhooks/messages/{message.pk}/",
        f"/developers/webhooks/dlq/{dead.pk}/",
    ):
        assert portal.get(url).status_code == 404
    assert Endpoint.objects.get(pk=endpoint.pk).secrets_encrypted  # untouched


def test_portal_pages_render_and_create_an_endpoint(org_a, owner_a, client_for):
    from django.test import Client

    client = Client()
    client.force_login(owner_a)
    response = client.post(
        "/developers/webhooks/",
        {
            "url": "http://127.0.0.1:9/portal",
            "description": "mine",
            "event_types": ["shipment.synced"],
            "filter": "",
            "headers": "",
        },
    )
    assert response.status_code == 302
    endpoint = Endpoint.objects.get(description="mine")
    page = client.get(response["Location"]).content.decode()
    assert "whsec_" in page  # shown once, right after creation
    assert "whsec_" not in client.get(response["Location"]).content.decode()
    refused = client.post("/developers/webhooks/", {"url": "http://10.0.0.1/x", "filter": "", "headers": ""})
    assert refused.status_code == 200 and "Refusing" in refused.content.decode()
    dead = _dead_letter(org_a, endpoint)
    for url in [
        "/developers/webhooks/",
        f"/developers/webhooks/endpoints/{endpoint.pk}/",
        "/developers/webhooks/messages/",
        f"/developers/webhooks/messages/{dead.delivery.message_id}/",
        "/developers/webhooks/dlq/?event_type=shipment.synced",
        f"/developers/webhooks/dlq/{dead.pk}/",
        "/developers/alerts/",
    ]:
        assert client.get(url).status_code == 200, url
    response = client.post("/developers/webhooks/dlq/", {"operation": "replay_selected", "ids": [dead.pk]})
    assert response.status_code == 302
    assert DeadLetter.objects.get(pk=dead.pk).status == "replaying"


def test_signing_secret_is_shown_once_and_never_written_to_a_session_row(org_a, owner_a):
    from django.contrib.sessions.models import Session
    from django.test import Client

    def sessions_holding_a_secret() -> list:
        return [s.pk for s in Session.objects.all() if "whsec_" in str(s.get_decoded())]

    client = Client()
    client.force_login(owner_a)
    created = client.post("/developers/webhooks/", {"url": "http://127.0.0.1:9/once", "filter": "", "headers": ""})
    assert created.status_code == 302
    assert not sessions_holding_a_secret()  # not even between the redirect and the page
    assert "whsec_" in client.get(created["Location"]).content.decode()
    endpoint = Endpoint.objects.get(url="http://127.0.0.1:9/once")
    assert client.post(f"/developers/webhooks/endpoints/{endpoint.pk}/rotate/").status_code == 302
    assert not sessions_holding_a_secret()
    assert "whsec_" in client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
    assert "whsec_" not in client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
