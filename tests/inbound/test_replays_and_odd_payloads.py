"""Replays and odd payloads through the real `/hooks/<vendor>/<token>/` URL, with real-shaped Whiplash and
Shopify bodies (from the vendor payload notes), validly signed:
- re-sending a captured body with a new event-id header, no id header or a swapped topic is a duplicate;
- a body whose own timestamp is outside the freshness window is refused (400 stale_webhook);
- a signed body of an odd shape (100k-deep JSON, `originator` not an object, wrong types) is a 400 in
  the error shape, never an HTML 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.models import Connection, InboundWebhook
from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.sandbox import APP_SECRET
from connectors.shopify.webhooks import sign as shopify_sign
from connectors.whiplash.connector import WhiplashConnector
from connectors.whiplash.webhooks import sign as whiplash_sign
from ekyam.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "payloads"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _connection(org, connector_class) -> Connection:
    connection = Connection(organization=org, connector_type=connector_class.slug, name=connector_class.name)
    connection.set_credentials(connector_class.sandbox_credentials("http://127.0.0.1:9"))
    connection.save()
    return connection


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _whiplash_secret(connection) -> str:
    return connection.get_credentials()["client_secret"]


def _post_whiplash(client, connection, body: bytes, **headers):
    return client.post(
        f"/hooks/whiplash/{connection.webhook_token}/", data=body, content_type="application/json",
        HTTP_X_WHIPLASH_SIGNATURE=whiplash_sign(_whiplash_secret(connection), body), **headers,
    )  # fmt: skip


def _post_shopify(client, connection, body: bytes, topic="products/update", **headers):
    return client.post(
        f"/hooks/shopify/{connection.webhook_token}/", data=body, content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=shopify_sign(APP_SECRET, body), HTTP_X_SHOPIFY_TOPIC=topic, **headers,
    )  # fmt: skip


def _whiplash_item_body(**changes) -> bytes:
    item = {**_load("whiplash_item_inventory_changed.json")["item"], "updated_at": _now(), **changes}
    return json.dumps({"event_name": "item.inventory_changed", "item": item}).encode()


def _shopify_product_body(**changes) -> bytes:
    return json.dumps({**_load("shopify_products_update.json")["body"], "updated_at": _now(), **changes}).encode()


def test_a_captured_whiplash_body_with_new_event_ids_is_processed_once(client, org_a):
    connection = _connection(org_a, WhiplashConnector)
    body = _whiplash_item_body()
    answers = [
        _post_whiplash(client, connection, body, HTTP_X_WHIPLASH_EVENT_ID=event_id).json()
        for event_id in ("evt-1", "evt-2", "evt-3")
    ]
    answers.append(_post_whiplash(client, connection, body).json())  # no id header at all
    assert answers[0] == {"received": 1, "duplicates": 0}
    assert all(a == {"received": 0, "duplicates": 1} for a in answers[1:]), answers
    assert InboundWebhook.objects.get(connection=connection).duplicate_count == 3
    assert OutboxEvent.objects.filter(type="inventory.updated").count() == 1


def test_a_captured_shopify_body_with_new_ids_no_id_or_another_topic_is_processed_once(client, org_a):
    connection = _connection(org_a, ShopifyConnector)
    body = _shopify_product_body()
    first = _post_shopify(client, connection, body, HTTP_X_SHOPIFY_EVENT_ID="a1")
    assert first.json() == {"received": 1, "duplicates": 0}
    replays = [
        _post_shopify(client, connection, body, HTTP_X_SHOPIFY_EVENT_ID="a2"),
        _post_shopify(client, connection, body),
        _post_shopify(client, connection, body, topic="orders/create", HTTP_X_SHOPIFY_EVENT_ID="a3"),
    ]
    assert [r.json() for r in replays] == [{"received": 0, "duplicates": 1}] * 3
    assert OutboxEvent.objects.count() == 1 and InboundWebhook.objects.count() == 1


@pytest.mark.parametrize("vendor", ["whiplash", "shopify"])
def test_bodies_outside_the_freshness_window_are_refused(client, org_a, vendor):
    connection = _connection(org_a, WhiplashConnector if vendor == "whiplash" else ShopifyConnector)
    old = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    for stamp in (old, future):
        if vendor == "whiplash":
            response = _post_whiplash(client, connection, _whiplash_item_body(updated_at=stamp))
        else:
            response = _post_shopify(client, connection, _shopify_product_body(updated_at=stamp))
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "stale_webhook"
    assert not InboundWebhook.objects.exists() and not OutboxEvent.objects.exists()
    fresh = _whiplash_item_body() if vendor == "whiplash" else _shopify_product_body()
    post = _post_whiplash if vendor == "whiplash" else _post_shopify
    assert post(client, connection, fresh).status_code == 200  # within the window: accepted


def _deep(depth: int) -> bytes:
    return b'{"event_name": "item.inventory_changed", "item": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("vendor", "body"),
    [
        ("whiplash", _deep(100_000)),
        ("whiplash", b"[" * 100_000 + b"]" * 100_000),
        (
            "whiplash",
            json.dumps(
                {"event_name": "order.shipped", "order": {"id": 7, "originator": "not-an-object", "updated_at": _now()}}
            ).encode(),
        ),  # fmt: skip
        (
            "whiplash",
            json.dumps(
                {"event_name": "item.inventory_changed", "item": {"id": {"x": 1}, "sku": [1], "updated_at": 12345}}
            ).encode(),
        ),  # fmt: skip
        ("whiplash", json.dumps({"event_name": ["a"], "item": {"id": 1, "updated_at": "yesterday"}}).encode()),
        ("shopify", b'{"inventory_item_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("shopify", json.dumps({"id": 1, "variants": "not-a-list", "updated_at": _now()}).encode()),
        ("shopify", json.dumps({"id": 1, "variants": [1, None, {"sku": {"deep": True}}], "updated_at": [1]}).encode()),
        ("shopify", b'"a string"'),
    ],
)
def test_signed_odd_payloads_get_a_4xx_in_the_error_shape(client, org_a, vendor, body):
    connector = WhiplashConnector if vendor == "whiplash" else ShopifyConnector
    connection = _connection(org_a, connector)
    post = _post_whiplash if vendor == "whiplash" else _post_shopify
    response = post(client, connection, body)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
