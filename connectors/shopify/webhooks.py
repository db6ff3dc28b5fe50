"""Verifying Shopify webhooks: base64 HMAC-SHA256 of the raw body with the app's client secret.

During a secret rotation both the new and the previous secret are accepted (Shopify can take an hour
to switch). `X-Shopify-Event-Id` is the same on every redelivery of one event: it is the dedupe key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from connectors.base import AuthError, ValidationError, WebhookEvent

EKYAM_TYPES = {
    "inventory_levels/update": "inventory.updated",
    "products/update": "product.updated",
    "products/create": "product.updated",
    "orders/create": "order.updated",
}


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(headers: dict, body: bytes, *, secrets: list[str]) -> list[WebhookEvent]:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    presented = str(lowered.get("x-shopify-hmac-sha256") or "").strip()
    if not presented:
        raise AuthError("The Shopify webhook has no X-Shopify-Hmac-Sha256 header.", code="signature")
    candidates = [s for s in secrets if s]
    if not candidates:
        raise AuthError("This Shopify connection has no app secret to verify webhooks with.", code="signature")
    if not any(hmac.compare_digest(sign(secret, body).encode(), presented.encode()) for secret in candidates):
        raise AuthError(
            "The X-Shopify-Hmac-Sha256 does not match the body (wrong secret or altered body).", code="signature"
        )
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationError("The Shopify webhook body is not JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("The Shopify webhook body is not a JSON object.")
    topic = str(lowered.get("x-shopify-topic") or "unknown")
    event_id = str(lowered.get("x-shopify-event-id") or lowered.get("x-shopify-webhook-id") or "")
    if not event_id:
        event_id = "sha256:" + hashlib.sha256(body).hexdigest()
    return [
        WebhookEvent(
            event_id=event_id,
            topic=topic,
            ekyam_type=EKYAM_TYPES.get(topic),
            payload={
                "record_ids": _record_ids(topic, data),
                "data": _summary(topic, data),
                "shop": lowered.get("x-shopify-shop-domain"),
            },
            # The body's own time (signed), not X-Shopify-Triggered-At (a header anyone can change).
            occurred_at=data.get("updated_at") or data.get("created_at"),
        )
    ]


def _record_ids(topic: str, data: dict) -> list[str]:
    """The ids the matching reader takes in `ids=` for a targeted sync."""
    if topic.startswith("inventory_levels/") and data.get("inventory_item_id") is not None:
        return [f"gid://shopify/InventoryItem/{data['inventory_item_id']}"]
    if data.get("admin_graphql_api_id"):
        return [str(data["admin_graphql_api_id"])]
    return [str(data["id"])] if data.get("id") is not None else []


def _summary(topic: str, data: dict) -> dict:
    if topic.startswith("inventory_levels/"):
        keys = ("inventory_item_id", "location_id", "available", "updated_at")
    elif topic.startswith("products/"):
        if not isinstance(data.get("variants") or [], list):
            raise ValidationError("The Shopify product webhook's variants is not a list.")
        summary = {k: data.get(k) for k in ("id", "title", "status", "updated_at")}
        summary["skus"] = [v.get("sku") for v in data.get("variants") or [] if isinstance(v, dict)]
        return summary
    else:
        keys = ("id", "name", "email", "created_at", "updated_at")
    return {k: data.get(k) for k in keys}
