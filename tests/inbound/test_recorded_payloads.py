"""Recorded vendor webhooks replayed through the real `/hooks/<vendor>/<token>/` URL.

Each file in `recordings/<vendor>/` is one webhook as the vendor documents it (headers and body; see
each file's `_comment`) with what Ekyam must make of it (`expect`). One test case, `ReplaysRecordedWebhooks`,
runs every recording of a vendor: verified, stored once, turned into its Ekyam event (or ignored), a
redelivery deduplicated, an altered body refused. The signatures are computed here from the vendors'
documented schemes, not by the connectors' or the sandboxes' code, so the parser cannot agree with
its sender by construction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from connectors import conf
from connectors.models import Connection, InboundWebhook
from connectors.shopify.connector import ShopifyConnector
from connectors.whiplash.connector import WhiplashConnector
from ekyam.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

RECORDINGS = Path(__file__).parent / "recordings"


def pytest_generate_tests(metafunc):
    if "recording" in metafunc.fixturenames:
        files = sorted((RECORDINGS / metafunc.cls.connector_class.slug).glob("*.json"))
        assert files, f"no recordings for {metafunc.cls.connector_class.slug}"
        metafunc.parametrize("recording", [json.loads(f.read_text()) for f in files], ids=[f.stem for f in files])


class ReplaysRecordedWebhooks:
    connector_class: type

    def signature_headers(self, credentials: dict, body: bytes) -> dict[str, str]:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _recordings_are_old(self, monkeypatch):
        # The recordings carry the timestamps of the day they were captured; the freshness window is
        # tested on its own in test_replays_and_odd_payloads.py, so here it is wide enough to admit them.
        monkeypatch.setattr(conf, "INBOUND_WEBHOOK_MAX_AGE_SECONDS", 100 * 365 * 24 * 3600)

    @pytest.fixture
    def connection(self, org_a) -> Connection:
        connection = Connection(
            organization=org_a, connector_type=self.connector_class.slug, name=f"{self.connector_class.name} hooks"
        )
        connection.set_credentials(self.connector_class.sandbox_credentials("http://127.0.0.1:9"))
        connection.save()
        return connection

    def deliver(self, client, connection: Connection, recording: dict, *, sent: bytes | None = None):
        """POST the recording, signed over its compact JSON; `sent` replaces the bytes that travel."""
        body = json.dumps(recording["body"], separators=(",", ":")).encode()
        headers = {**recording["headers"], **self.signature_headers(connection.get_credentials(), body)}
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        url = f"/hooks/{connection.connector_type}/{connection.webhook_token}/"
        return client.post(url, data=body if sent is None else sent, content_type="application/json", headers=headers)

    def test_recording_becomes_its_event(self, client, connection, recording):
        response = self.deliver(client, connection, recording)
        assert response.status_code == 200 and response.json() == {"received": 1, "duplicates": 0}
        expect = recording["expect"]
        row = InboundWebhook.objects.get(connection=connection)
        assert row.topic == expect["topic"] and row.organization_id == connection.organization_id
        events = OutboxEvent.objects.filter(organization=connection.organization)
        if expect["type"] is None:
            assert row.status == InboundWebhook.Status.IGNORED and not events.exists()
            return
        assert row.status == InboundWebhook.Status.RECEIVED
        event = events.get()
        assert event.type == expect["type"]
        assert event.payload["inbound_webhook_id"] == row.pk and event.payload["connection_id"] == connection.pk
        assert event.payload["vendor"] == connection.connector_type and event.payload["topic"] == expect["topic"]
        assert event.payload["record_ids"] == expect["record_ids"]
        data = event.payload["data"]
        assert {key: data.get(key) for key in expect["data"]} == expect["data"]

    def test_redelivery_is_stored_and_emitted_once(self, client, connection, recording):
        first = self.deliver(client, connection, recording)
        again = self.deliver(client, connection, recording)
        assert first.json() == {"received": 1, "duplicates": 0} and again.json() == {"received": 0, "duplicates": 1}
        row = InboundWebhook.objects.get(connection=connection)
        assert row.duplicate_count == 1
        expected_events = 0 if recording["expect"]["type"] is None else 1
        assert OutboxEvent.objects.filter(organization=connection.organization).count() == expected_events

    def test_reserialized_body_is_refused(self, client, connection, recording):
        # The same JSON with other whitespace: the signature covers the bytes, which changed.
        reserialized = json.dumps(recording["body"], indent=2).encode()
        response = self.deliver(client, connection, recording, sent=reserialized)
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
        assert not InboundWebhook.objects.exists() and not OutboxEvent.objects.exists()


class TestWhiplashRecordings(ReplaysRecordedWebhooks):
    connector_class = WhiplashConnector

    def signature_headers(self, credentials, body):
        # Lowercase hex HMAC-SHA256 of the raw body keyed with the OAuth client secret.
        secret = credentials["client_secret"].encode()
        return {"X-WHIPLASH-SIGNATURE": hmac.new(secret, body, hashlib.sha256).hexdigest()}


class TestShopifyRecordings(ReplaysRecordedWebhooks):
    connector_class = ShopifyConnector

    def signature_headers(self, credentials, body):
        # Base64 HMAC-SHA256 of the raw body keyed with the app's client secret.
        digest = hmac.new(credentials["app_secret"].encode(), body, hashlib.sha256).digest()
        return {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode()}
