"""The Whiplash (Rydership API v2) sandbox: an emulator of the parts of the API Ekyam uses, over real HTTP.

- `POST /oauth/token`: client_credentials, authorization_code (code `sandbox-code`) and refresh_token
  grants; refresh tokens rotate (the old one stops working); access tokens expire after `token_ttl`.
- `GET /api/v2/items[/count|/{id}|/{id}/warehouse_quantities]`, `GET|POST /api/v2/orders`,
  `GET|PUT /api/v2/orders/{id}`: bare-array lists with `page`/`per_page`, Ransack-style JSON `search`
  (`_eq`, `_in`, `_gt`, `_gteq`, `_lt`, `_lteq`, `_cont`) and `sort`; 409 on a duplicate originator.
- 429 above `rate_limit` requests per second (token bucket, `Retry-After: 1`).
- A webhook sender: `POST /_sandbox/fire` changes state (inventory changed, order shipped) and POSTs the
  event, signed with `X-WHIPLASH-SIGNATURE`, to the configured `webhook_url`.

Knobs (`POST /_sandbox/knobs`): the frame's latency/error knobs plus `rate_limit`, `token_ttl`,
`create_response_delay_ms` (the order is stored, then the answer is delayed: a client timeout after
acceptance), `strict_skus` (unknown SKUs → 422 instead of creating the item), `webhook_url`,
`webhook_secret` (sign with another secret), `stale_searches` (the next N order searches find nothing:
a lagging index), `create_response_status` (e.g. `[502]`: store the next order, then answer 502),
`fail_next_create` (e.g. `[503]`: refuse the next order create without storing it),
`revoke_tokens` (every access token stops working).
"""

from __future__ import annotations

import json
import time

from connectors.sandbox import Request, Response, SandboxApp
from connectors.whiplash.sandbox.activity import WhiplashActivity
from connectors.whiplash.sandbox.auth import WhiplashOAuth
from connectors.whiplash.sandbox.data import WAREHOUSES, WhiplashState
from connectors.whiplash.sandbox.orders import WhiplashOrders
from connectors.whiplash.sandbox.search import _matches
from connectors.whiplash.sandbox.webhooks import WhiplashWebhooks


class WhiplashSandbox(WhiplashState, WhiplashOAuth, WhiplashOrders, WhiplashActivity, WhiplashWebhooks, SandboxApp):
    name = "whiplash"

    def __init__(self, seed: int = 42, records: int | None = None, rate_limit: float = 10.0):
        super().__init__(seed)
        self.record_count = records if records is not None else 40
        self.default_rate_limit = rate_limit
        self.reset()
        self.route("POST", "/oauth/token", self.token)
        self.route("GET", "/api/v2/items/count", self.count_items)
        self.route("GET", "/api/v2/items/{id}/warehouse_quantities", self.warehouse_quantities)
        self.route("GET", "/api/v2/items/{id}", self.get_item)
        self.route("GET", "/api/v2/items", self.list_items)
        self.route("GET", "/api/v2/orders/count", self.count_orders)
        self.route("GET", "/api/v2/orders/{id}", self.get_order)
        self.route("PUT", "/api/v2/orders/{id}", self.update_order)
        self.route("GET", "/api/v2/orders", self.list_orders)
        self.route("POST", "/api/v2/orders", self.create_order)
        self.route("GET", "/_sandbox/orders", self.all_orders)
        self.route("POST", "/_sandbox/fire", self.fire)

    # --- frame hooks -----------------------------------------------------------------------
    def error_response(self, status: int) -> Response:
        return Response.json({"message": f"Injected failure ({status})."}, status)

    def before_request(self, request: Request) -> Response | None:
        if not self.bucket.take():
            with self.lock:
                self.counters["rate_limited"] += 1
            return Response.json({"error": "Rate limit exceeded"}, 429, {"Retry-After": "1"})
        if request.path.startswith("/api/"):
            auth = request.headers.get("Authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else ""
            with self.lock:
                expiry = self.access_tokens.get(token)
                if expiry is None or expiry < time.time():
                    self.counters["unauthorized"] += 1
                    reason = "has expired" if expiry is not None else "is invalid"
                    return Response.json(
                        {"error": "invalid_token", "message": f"The access token {reason}."},
                        401,
                        {"WWW-Authenticate": 'Bearer realm="Whiplash", error="invalid_token"'},
                    )
        return None

    # --- lists -----------------------------------------------------------------------------
    def _page(self, request: Request, records: list[dict], resolve, serialize) -> Response:
        try:
            search = json.loads(request.query.get("search") or "{}")
            selected = [r for r in records if _matches(r, search, resolve)]
            page = max(1, int(request.query.get("page", 1)))
            per_page = min(500, max(1, int(request.query.get("per_page", 50))))
        except (ValueError, TypeError) as exc:
            return Response.json({"message": f"Invalid list parameters: {exc}"}, 422)
        for clause in reversed([c.strip() for c in request.query.get("sort", "id asc").split(",") if c.strip()]):
            field, _, direction = clause.partition(" ")
            selected.sort(key=lambda r, f=field: str(resolve(r, f)) if f.endswith("_at") else resolve(r, f))
            if direction.strip().lower() == "desc":
                selected.reverse()
        start = (page - 1) * per_page
        return Response.json([serialize(r) for r in selected[start : start + per_page]])

    @staticmethod
    def _resolve_item(item: dict, attribute: str):
        return item.get(attribute)

    def _item_entity(self, item: dict) -> dict:
        return {k: v for k, v in item.items() if k != "warehouse_quantities"}

    def list_items(self, request: Request) -> Response:
        with self.lock:
            items = list(self.items.values())
        return self._page(request, items, self._resolve_item, self._item_entity)

    def count_items(self, request: Request) -> Response:
        with self.lock:
            items = list(self.items.values())
        search = json.loads(request.query.get("search") or "{}")
        return Response.json({"count": sum(1 for i in items if _matches(i, search, self._resolve_item))})

    def _item_or_404(self, request: Request):
        try:
            return self.items.get(int(request.params["id"]))
        except ValueError:
            return None

    def get_item(self, request: Request) -> Response:
        item = self._item_or_404(request)
        if item is None:
            return Response.json({"message": "Item not found"}, 404)
        return Response.json(self._item_entity(item))

    def warehouse_quantities(self, request: Request) -> Response:
        item = self._item_or_404(request)
        if item is None:
            return Response.json({"message": "Item not found"}, 404)
        return Response.json(
            [
                {
                    "warehouse_id": warehouse["id"],
                    "warehouse": warehouse,
                    "quantity": item["warehouse_quantities"].get(warehouse["id"], 0),
                    "projected_quantity": item["warehouse_quantities"].get(warehouse["id"], 0),
                    "sellable_quantity": item["warehouse_quantities"].get(warehouse["id"], 0),
                }
                for warehouse in WAREHOUSES
            ]
        )
