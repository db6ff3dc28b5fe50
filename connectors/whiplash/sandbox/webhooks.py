"""What the Whiplash sandbox sends: `POST /_sandbox/fire` changes state and posts the event, signed with
`X-WHIPLASH-SIGNATURE`, to the given URL or the `webhook_url` knob."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from connectors.sandbox import Request, Response


class WhiplashWebhooks:
    """The webhook sender."""

    def fire(self, request: Request) -> Response:
        """`{"event": "item.inventory_changed", "sku": "…", "quantity": 5, "warehouse_id": 1}` or
        `{"event": "order.shipped", "order_id": 5 | "original_id": "…", "tracking": "1Z…"}`; optional
        `"url"` (else the `webhook_url` knob) and `"repeat": 2` (deliver the same body again)."""
        data = request.json() or {}
        event = data.get("event")
        with self.lock:
            self.dirty = True
            if event == "item.inventory_changed":
                item_id = self.items_by_sku.get(str(data.get("sku")))
                if item_id is None:
                    return Response.json({"message": f"unknown sku {data.get('sku')!r}"}, 404)
                body = self._change_inventory(self.items[item_id], int(data.get("warehouse_id", 1)), data["quantity"])
            elif event == "order.shipped":
                order = self._order(data.get("order_id"))
                if order is None and data.get("original_id"):
                    order = self._order(self.orders_by_originator.get(str(data["original_id"])))
                if order is None:
                    return Response.json({"message": "unknown order"}, 404)
                tracking = str(data.get("tracking") or f"1Z{order['id']:010d}")
                body = self._ship(order, tracking, data.get("ship_method", "UPS Ground"))
            else:
                return Response.json({"message": f"unknown event {event!r}"}, 422)
            raw = json.dumps(body).encode()
            url = data.get("url") or self.webhook_url
            secret = str(self.webhook_secret)
        deliveries = [self._deliver(url, raw, secret) for _ in range(max(1, int(data.get("repeat", 1))))] if url else []
        return Response.json({"event": event, "deliveries": deliveries, "body": body})

    def _deliver(self, url: str, raw: bytes, secret: str) -> dict:
        from ekyam.http import HttpClient, RequestException

        signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        started = time.monotonic()
        try:
            response = HttpClient(max_retries=0, read_timeout=10).post(
                url, data=raw, headers={"Content-Type": "application/json", "X-WHIPLASH-SIGNATURE": signature}
            )
            outcome = {"url": url, "status": response.status_code}
        except RequestException as exc:
            outcome = {"url": url, "status": None, "error": type(exc).__name__}
        outcome["ms"] = round((time.monotonic() - started) * 1000, 1)
        with self.lock:
            self.webhooks_sent.append(outcome)
        return outcome
