"""Vendor webhooks through the real receiver URL: the sandboxes' signed senders POST to a live server."""

from __future__ import annotations

import json

import pytest
import requests

from connectors.models import Connection, InboundWebhook
from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.sandbox import APP_SECRET
from connectors.whiplash.connector import WhiplashConnector
from connectors.whiplash.webhooks import sign as whiplash_sign
from ekyam.events.models import OutboxEvent
from tests.sandboxes import Sandbox, running

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox():
    servers = []

    def start(connector_class) -> Sandbox:
        server = running(connector_class, seed=42, records=6).start()
        servers.append(server)
        return Sandbox(server)

    yield start
    for server in servers:
        server.stop()


def _connection(org, connector_class, url, **overrides) -> Connection:
    connection = Connection(organization=org, connector_type=connector_class.slug, name=f"{connector_class.name} hooks")
    connection.set_credentials({**connector_class.sandbox_credentials(url), **overrides})
    connection.save()
    return connection


def _hook_url(live_server, connection) -> str:
    return f"{live_server.url}/hooks/{connection.connector_type}/{connection.webhook_token}/"


def _first_sku(server: Sandbox) -> str:
    return next(iter(server.app.items.values()))["sku"]


@pytest.fixture
def hooked(live_server, sandbox, org_a):
    """hooked(connector_class) → (sandbox, connection of org_a to it, the receiver URL of that connection)."""

    def start(connector_class) -> tuple[Sandbox, Connection, str]:
        server = sandbox(connector_class)
        connection = _connection(org_a, connector_class, server.url)
        return server, connection, _hook_url(live_server, connection)

    return start


def test_whiplash_inventory_change_becomes_one_event(hooked, org_a):
    server, connection, url = hooked(WhiplashConnector)
    requests_before = server.app.request_count
    sku = _first_sku(server)
    fired = server.fire(event="item.inventory_changed", sku=sku, quantity=17, url=url)
    assert [d["status"] for d in fired["deliveries"]] == [200]
    assert server.app.request_count == requests_before + 1  # the receiver called nothing back
    row = InboundWebhook.objects.get(connection=connection)
    assert row.topic == "item.inventory_changed" and row.organization == org_a and row.duplicate_count == 0
    event = OutboxEvent.objects.get(type="inventory.updated")
    assert event.organization == org_a
    assert event.payload["connection_id"] == connection.pk and event.payload["vendor"] == "whiplash"
    assert event.payload["inbound_webhook_id"] == row.pk
    assert event.payload["topic"] == "item.inventory_changed"
    assert event.payload["record_ids"] == [str(fired["body"]["item"]["id"])]
    assert (
        event.payload["data"]["sku"] == sku
        and event.payload["data"]["quantity"]
        == 17 + (server.app.items[fired["body"]["item"]["id"]]["warehouse_quantities"][2])
    )


def test_whiplash_replayed_delivery_is_stored_and_emitted_once(hooked):
    server, connection, url = hooked(WhiplashConnector)
    fired = server.fire(event="item.inventory_changed", sku=_first_sku(server), quantity=3, repeat=3, url=url)
    assert [d["status"] for d in fired["deliveries"]] == [200, 200, 200]
    row = InboundWebhook.objects.get(connection=connection)
    assert row.duplicate_count == 2
    assert OutboxEvent.objects.filter(type="inventory.updated").count() == 1


def test_whiplash_order_shipped_carries_tracking(hooked):
    server, connection, url = hooked(WhiplashConnector)
    connector = WhiplashConnector(connection.get_credentials())
    sku = _first_sku(server)
    written = connector.write(
        "orders",
        [
            {
                "shipping_name": "Jo",
                "shipping_address_1": "1 Main",
                "shipping_city": "Reno",
                "shipping_country": "US",
                "order_items_attributes": [{"sku": sku, "quantity": 1}],
            }
        ],
        context={"keys": ["netsuite:itemFulfillment:9"]},
    )[0]
    fired = server.fire(
        event="order.shipped",
        original_id="netsuite:itemFulfillment:9",
        tracking="1ZABC",
        url=url,
    )
    assert fired["deliveries"][0]["status"] == 200
    event = OutboxEvent.objects.get(type="shipment.shipped")
    assert event.payload["record_ids"] == [written.destination_id]
    assert event.payload["data"]["tracking"] == ["1ZABC"]
    assert event.payload["data"]["original_id"] == "netsuite:itemFulfillment:9"


def test_whiplash_wrong_secret_is_refused(hooked):
    server, _, url = hooked(WhiplashConnector)
    server.knobs(webhook_secret="not-the-client-secret")
    fired = server.fire(event="item.inventory_changed", sku=_first_sku(server), quantity=1, url=url)
    assert fired["deliveries"][0]["status"] == 401
    assert not InboundWebhook.objects.exists() and not OutboxEvent.objects.exists()


def test_whiplash_tampered_body_is_refused(hooked):
    _server, connection, url = hooked(WhiplashConnector)
    secret = connection.get_credentials()["client_secret"]
    body = json.dumps({"event_name": "item.inventory_changed", "item": {"id": 1001, "sku": "X", "quantity": 5}})
    signature = whiplash_sign(secret, body.encode())
    tampered = body.replace('"quantity": 5', '"quantity": 500')
    refused = requests.post(url, data=tampered, headers={"X-WHIPLASH-SIGNATURE": signature}, timeout=5)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_signature"
    unsigned = requests.post(url, data=body, timeout=5)
    assert unsigned.status_code == 401
    accepted = requests.post(url, data=body, headers={"x-whiplash-signature": signature.upper()}, timeout=5)
    assert accepted.status_code == 200
    assert InboundWebhook.objects.count() == 1


def test_unknown_token_or_vendor_is_404_and_get_is_405(live_server, hooked):
    _server, connection, url = hooked(WhiplashConnector)
    assert requests.post(f"{live_server.url}/hooks/whiplash/nope/", data=b"{}", timeout=5).status_code == 404
    wrong_vendor = f"{live_server.url}/hooks/shopify/{connection.webhook_token}/"
    assert requests.post(wrong_vendor, data=b"{}", timeout=5).status_code == 404
    assert requests.get(url, timeout=5).status_code == 405


def test_shopify_inventory_update_dedupes_on_event_id(hooked):
    server, connection, url = hooked(ShopifyConnector)
    fired = server.fire(topic="inventory_levels/update", sku=_first_sku(server), available=12, repeat=2, url=url)
    assert [d["status"] for d in fired["deliveries"]] == [200, 200]
    row = InboundWebhook.objects.get(connection=connection)
    assert row.payload["delivery_id"] == fired["event_id"] and row.duplicate_count == 1
    assert row.vendor_event_id.startswith("sha256:")  # the dedupe key is what the signature covers
    event = OutboxEvent.objects.get(type="inventory.updated")
    assert event.payload["vendor"] == "shopify" and event.payload["topic"] == "inventory_levels/update"
    assert event.payload["record_ids"] == [f"gid://shopify/InventoryItem/{fired['body']['inventory_item_id']}"]
    assert event.payload["data"]["available"] == 12


def test_shopify_accepts_the_previous_secret_during_rotation(live_server, sandbox, org_a):
    server = sandbox(ShopifyConnector)
    rotating = _connection(
        org_a, ShopifyConnector, server.url, app_secret="the-new-secret", previous_app_secret=APP_SECRET
    )
    rotating_done = Connection(organization=org_a, connector_type="shopify", name="after rotation")
    rotating_done.set_credentials({**ShopifyConnector.sandbox_credentials(server.url), "app_secret": "the-new-secret"})
    rotating_done.save()
    fired = server.fire(
        topic="products/update",
        sku=_first_sku(server),
        url=_hook_url(live_server, rotating),
    )
    assert fired["deliveries"][0]["status"] == 200
    assert OutboxEvent.objects.get(type="product.updated").payload["topic"] == "products/update"
    refused = server.fire(topic="orders/create", url=_hook_url(live_server, rotating_done))
    assert refused["deliveries"][0]["status"] == 401
    new_secret = server.fire(topic="orders/create", secret="the-new-secret", url=_hook_url(live_server, rotating_done))
    assert new_secret["deliveries"][0]["status"] == 200
    assert OutboxEvent.objects.get(type="order.updated").payload["record_ids"] == ["gid://shopify/Order/5001"]


def test_shopify_tampered_body_is_refused(hooked):
    from connectors.shopify.webhooks import sign

    _server, _, url = hooked(ShopifyConnector)
    body = b'{"inventory_item_id": 9001, "location_id": 1001, "available": 4}'
    headers = {
        "X-Shopify-Hmac-Sha256": sign(APP_SECRET, body),
        "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Event-Id": "evt-1",
    }
    assert requests.post(url, data=body.replace(b"4}", b"40}"), headers=headers, timeout=5).status_code == 401
    assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 200
    assert InboundWebhook.objects.get().payload["delivery_id"] == "evt-1"


def test_handling_an_event_closes_exactly_its_inbound_row(org_a):
    from connectors import inbound

    connection = _connection(org_a, WhiplashConnector, "http://127.0.0.1:9")
    payload = {"connection_id": connection.pk, "vendor": "whiplash", "topic": "item.inventory_changed", "data": {}}
    # Two receptions with the same payload (e.g. the same change reported twice under two vendor ids).
    first, second = (
        InboundWebhook.objects.create(
            organization=org_a,
            connection=connection,
            vendor_event_id=vendor_id,
            topic=payload["topic"],
            payload=payload,
        )
        for vendor_id in ("evt-1", "evt-2")
    )
    event = {"organization_id": org_a.pk, "data": {"inbound_webhook_id": second.pk, **payload}}
    assert inbound.mark_handled(event, error="no workflow could run") == 1
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status, second.error) == ("received", "failed", "no workflow could run")
    # Another organization's event naming this row changes nothing.
    assert inbound.mark_handled({"organization_id": org_a.pk + 1000, "data": event["data"]}) == 0
    # An event from before rows were named is matched by its payload.
    assert inbound.mark_handled({"organization_id": org_a.pk, "data": payload}) == 1
    first.refresh_from_db()
    assert first.status == "processed"
