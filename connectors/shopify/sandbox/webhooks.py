"""What the Shopify sandbox sends: `POST /_sandbox/fire` posts a webhook signed with
`X-Shopify-Hmac-Sha256` to the given URL or the `webhook_url` knob; `repeat` redelivers it with the same
`X-Shopify-Event-Id`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

from connectors.sandbox import Request, Response
from connectors.shopify.sandbox.data import SHOP_DOMAIN, _iso, _numeric


class ShopifyWebhooks:
    """The webhook sender."""

    def fire(self, request: Request) -> Response:
        data = request.json() or {}
        topic = data.get("topic")
        with self.lock:
            self.dirty = True
            if topic == "inventory_levels/update":
                item = self.item_by_sku(str(data.get("sku")))
                if item is None:
                    return Response.json({"errors": f"unknown sku {data.get('sku')!r}"}, 404)
                location = data.get("location", "gid://shopify/Location/1001")
                body = self._level_changed(item, location, data.get("available"))
            elif topic == "products/update":
                product = next((p for p in self.products if p["variants"][0]["sku"] == data.get("sku")), None)
                if product is None:
                    return Response.json({"errors": "unknown product"}, 404)
                product["updatedAt"] = _iso(datetime.now(UTC))  # the update the webhook reports
                body = {
                    "id": _numeric(product["id"]),
                    "admin_graphql_api_id": product["id"],
                    "title": product["title"],
                    "handle": product["handle"],
                    "status": product["status"].lower(),
                    "updated_at": product["updatedAt"],
                    "variants": [
                        {
                            "id": _numeric(x["id"]),
                            "admin_graphql_api_id": x["id"],
                            "sku": x["sku"],
                            "price": x["price"],
                            "inventory_item_id": _numeric(x["inventoryItem"]),
                        }
                        for x in product["variants"]
                    ],
                }
            elif topic == "orders/create":
                number = int(data.get("order_id", 5001))
                body = {
                    "id": number,
                    "admin_graphql_api_id": f"gid://shopify/Order/{number}",
                    "name": f"#{number}",
                    "email": "buyer@example.com",
                    "created_at": _iso(datetime.now(UTC)),
                    "line_items": [{"sku": data.get("sku", self.products[0]["variants"][0]["sku"]), "quantity": 1}],
                }
            else:
                return Response.json({"errors": f"unknown topic {topic!r}"}, 422)
            raw = json.dumps(body).encode()
            url = data.get("url") or self.webhook_url
            secret = str(data.get("secret") or self.webhook_secret)
        event_id = str(uuid.uuid4())
        deliveries = (
            [self._deliver(url, raw, secret, topic, event_id) for _ in range(max(1, int(data.get("repeat", 1))))]
            if url
            else []
        )
        return Response.json({"topic": topic, "event_id": event_id, "deliveries": deliveries, "body": body})

    def _deliver(self, url: str, raw: bytes, secret: str, topic: str, event_id: str) -> dict:
        from ekyam.http import HttpClient, RequestException

        digest = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-API-Version": "2024-10",
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": _iso(datetime.now(UTC)),
        }
        started = time.monotonic()
        try:
            response = HttpClient(max_retries=0, read_timeout=5).post(url, data=raw, headers=headers)
            outcome = {"url": url, "topic": topic, "status": response.status_code}
        except RequestException as exc:
            outcome = {"url": url, "topic": topic, "status": None, "error": type(exc).__name__}
        outcome["ms"] = round((time.monotonic() - started) * 1000, 1)
        with self.lock:
            self.webhooks_sent.append(outcome)
        return outcome
