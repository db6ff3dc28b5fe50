"""The connector catalog and the connections API: write-only secrets, checks, discover, samples, scope."""

import pytest

from connectors.models import Connection, ConnectionStatus
from connectors.netsuite.connector import NetSuiteConnector
from ekyam.events.models import OutboxEvent
from ekyam.models import Role
from tests.connectors.conftest import SECRETS

pytestmark = pytest.mark.django_db


def assert_no_secrets(response):
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text


def test_catalog_describes_credentials_and_streams(client_for, viewer_a):
    response = client_for(viewer_a).get("/api/v1/connectors/")
    assert response.status_code == 200
    netsuite = next(c for c in response.json() if c["slug"] == "netsuite")
    fields = {f["name"]: f for f in netsuite["credential_fields"]}
    assert fields["token_secret"]["secret"] is True and fields["account_id"]["secret"] is False
    assert fields["account_id"]["label"] == "Account ID" and fields["account_id"]["help_text"]
    assert [s["name"] for s in netsuite["readers"]] == ["products", "shipments"]
    assert netsuite["writers"] == [] and netsuite["read_only"] is True
    assert any(f["path"] == "shippingAddress.country.id" for f in netsuite["readers"][1]["fields"])
    assert client_for(viewer_a).get("/api/v1/connectors/netsuite/").json()["name"] == "NetSuite"
    assert client_for(viewer_a).get("/api/v1/connectors/nope/").status_code == 404


def test_create_masks_secrets_and_stores_them_encrypted(client_for, developer_a, netsuite_server):
    credentials = NetSuiteConnector.sandbox_credentials(netsuite_server.url)
    response = client_for(developer_a).post(
        "/api/v1/connections/",
        {"name": "NS", "connector_type": "netsuite", "credentials": credentials},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "unverified" and body["read_only"] is True and "credentials" not in body
    assert body["masked_credentials"]["token_secret"].startswith("••••")
    assert body["masked_credentials"]["token_secret"].endswith(credentials["token_secret"][-4:])
    assert body["masked_credentials"]["account_id"] == "1234567_SB1"
    assert_no_secrets(response)
    stored = Connection.objects.get(pk=body["id"])
    assert all(secret not in stored.secrets_encrypted and secret not in str(stored.config) for secret in SECRETS)
    assert stored.get_credentials()["token_secret"] == credentials["token_secret"]


def test_create_validates_credentials(client_for, developer_a):
    response = client_for(developer_a).post(
        "/api/v1/connections/",
        {"name": "NS", "connector_type": "netsuite", "credentials": {"account_id": "1", "bogus": "x"}},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "credentials.token_secret" in fields and "credentials.bogus" in fields
    missing_type = client_for(developer_a).post(
        "/api/v1/connections/", {"name": "X", "connector_type": "sap", "credentials": {}}, format="json"
    )
    assert missing_type.status_code == 400 and "connector_type" in missing_type.json()["error"]["fields"]


def test_check_verifies_and_emits_an_event(client_for, developer_a, ns_connection):
    response = client_for(developer_a).post(f"/api/v1/connections/{ns_connection.pk}/check/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["connection"]["status"] == "verified"
    assert body["connection"]["last_checked_at"]
    assert_no_secrets(response)
    event = OutboxEvent.objects.get(type="connection.status.changed")
    assert event.key == f"connection:{ns_connection.pk}"
    assert event.payload["status"] == "verified" and event.payload["previous_status"] == "unverified"


def test_failed_check_reports_the_reason(client_for, developer_a, ns_connection):
    client = client_for(developer_a)
    patch = client.patch(
        f"/api/v1/connections/{ns_connection.pk}/", {"credentials": {"consumer_key": "wrong"}}, format="json"
    )
    assert patch.status_code == 200 and patch.json()["masked_credentials"]["consumer_key"] == "wrong"
    body = client.post(f"/api/v1/connections/{ns_connection.pk}/check/").json()
    assert body["ok"] is False and body["reason"] == "invalid_consumer_key"
    assert (
        body["connection"]["status"] == "failed" and body["connection"]["last_error_reason"] == "invalid_consumer_key"
    )
    assert "consumer key" in body["connection"]["last_error"].lower()


def test_update_keeps_secrets_left_blank_and_resets_verification(client_for, developer_a, ns_connection):
    client = client_for(developer_a)
    client.post(f"/api/v1/connections/{ns_connection.pk}/check/")
    unchanged = client.patch(
        f"/api/v1/connections/{ns_connection.pk}/",
        {"name": "Renamed", "credentials": {"token_secret": ""}},
        format="json",
    )
    assert unchanged.json()["status"] == "verified" and unchanged.json()["name"] == "Renamed"
    ns_connection.refresh_from_db()
    assert ns_connection.get_credentials()["token_secret"] == SECRETS[1]
    changed = client.patch(
        f"/api/v1/connections/{ns_connection.pk}/", {"credentials": {"token_id": "new"}}, format="json"
    )
    assert changed.json()["status"] == "unverified"


def test_streams_and_sample(client_for, developer_a, ns_connection):
    client = client_for(developer_a)
    streams = client.get(f"/api/v1/connections/{ns_connection.pk}/streams/").json()
    assert {s["name"] for s in streams} == {"products", "shipments"}
    sample = client.post(
        f"/api/v1/connections/{ns_connection.pk}/sample/", {"stream": "shipments", "limit": 3}, format="json"
    )
    assert sample.status_code == 200
    assert sample.json()["count"] == 3 and sample.json()["records"][0]["tranId"].startswith("IF-")
    unknown = client.post(f"/api/v1/connections/{ns_connection.pk}/sample/", {"stream": "orders"}, format="json")
    assert unknown.status_code == 400


def test_sample_surfaces_vendor_errors(client_for, developer_a, ns_connection):
    client = client_for(developer_a)
    client.patch(f"/api/v1/connections/{ns_connection.pk}/", {"credentials": {"token_id": "gone"}}, format="json")
    response = client.post(f"/api/v1/connections/{ns_connection.pk}/sample/", {"stream": "products"}, format="json")
    assert response.status_code == 502
    assert response.json()["error"]["vendor"]["vendor_code"] == "INVALID_LOGIN"


def test_other_organizations_connections_are_not_found(client_for, owner_b, ns_connection):
    client = client_for(owner_b)
    assert client.get(f"/api/v1/connections/{ns_connection.pk}/").status_code == 404
    assert client.post(f"/api/v1/connections/{ns_connection.pk}/check/").status_code == 404
    assert client.post(f"/api/v1/connections/{ns_connection.pk}/sample/", {"stream": "products"}).status_code == 404
    assert client.get("/api/v1/connections/").json()["results"] == []


def test_viewers_read_but_cannot_change(client_for, viewer_a, ns_connection):
    client = client_for(viewer_a)
    listing = client.get("/api/v1/connections/")
    assert listing.status_code == 200 and listing.json()["results"][0]["status"] == "unverified"
    assert_no_secrets(listing)
    assert client.post(f"/api/v1/connections/{ns_connection.pk}/check/").status_code == 403
    assert client.delete(f"/api/v1/connections/{ns_connection.pk}/").status_code == 403


def test_api_key_clients_use_the_same_scope(key_client_for, org_a, ns_connection):
    client = key_client_for(org_a, Role.DEVELOPER)
    assert client.get(f"/api/v1/connections/{ns_connection.pk}/").json()["status"] == ConnectionStatus.UNVERIFIED
