"""Verifying Whiplash webhooks and turning them into vendor-neutral events.

`X-WHIPLASH-SIGNATURE` is the lowercase hex HMAC-SHA256 of the raw body keyed with the OAuth
application's client secret (for an empty body the official gem signs the client id instead).
Whiplash sends no event id, so the body's SHA-256 identifies a delivery: a redelivery of the same
event carries the same body and is deduplicated; a later change has a new `updated_at`, a new body.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from connectors.base import AuthError, ValidationError, WebhookEvent

SIGNATURE_HEADER = "x-whiplash-signature"
EKYAM_TYPES = {
    "item.inventory_changed": "inventory.updated",
    "item.inventory_adjusted": "inventory.updated",
    "item.inventory_received": "inventory.updated",
    "order.shipped": "shipment.shipped",
}
RESOURCES = ("item", "order", "shipnotice", "consumer_return")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: dict, body: bytes, *, client_secret: str, client_id: str = "") -> list[WebhookEvent]:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    presented = str(lowered.get(SIGNATURE_HEADER) or "").strip().lower()
    if not presented:
        raise AuthError("The Whiplash webhook has no X-WHIPLASH-SIGNATURE header.", code="signature")
    if not client_secret:
        raise AuthError("This Whiplash connection has no client secret to verify webhooks with.", code="signature")
    expected = sign(client_secret, body if body else client_id.encode())
    if not hmac.compare_digest(expected, presented):
        raise AuthError(
            "The X-WHIPLASH-SIGNATURE does not match the body (wrong secret or altered body).", code="signature"
        )
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        raise ValidationError("The Whiplash webhook body is not JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("The Whiplash webhook body is not a JSON object.")
    topic = str(data.get("event_name") or lowered.get("x-whiplash-event") or "unknown")
    resource_name = next((name for name in RESOURCES if isinstance(data.get(name), dict)), None)
    resource = data.get(resource_name) if resource_name else {}
    record_ids = [str(resource["id"])] if resource.get("id") is not None else []
    event_id = str(lowered.get("x-whiplash-event-id") or "sha256:" + hashlib.sha256(body).hexdigest())
    return [
        WebhookEvent(
            event_id=event_id,
            topic=topic,
            ekyam_type=EKYAM_TYPES.get(topic),
            payload={"record_ids": record_ids, "resource": resource_name, "data": _summary(resource_name, resource)},
            occurred_at=resource.get("updated_at"),
        )
    ]


def _summary(resource_name: str | None, resource: dict) -> dict:
    """The fields a subscriber needs to act without a vendor call; the full record is one read away."""
    if resource_name == "item":
        keys = ("id", "sku", "quantity", "published_quantity", "available", "updated_at")
    elif resource_name == "order":
        keys = ("id", "status", "status_name", "shipped_on", "ship_method", "tracking", "tracking_links", "updated_at")
        summary = {k: resource.get(k) for k in keys}
        summary["original_id"] = (resource.get("originator") or {}).get("original_id")
        return summary
    else:
        keys = ("id", "status", "updated_at")
    return {k: resource.get(k) for k in keys}
