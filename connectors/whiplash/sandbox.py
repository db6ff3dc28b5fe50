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

import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from connectors.demo_catalog import demo_catalog
from connectors.sandbox import Request, Response, SandboxApp
from connectors.whiplash.order_rules import order_editable

CLIENT_ID = "ekyam-sandbox-client"
CLIENT_SECRET = "whiplash-sandbox-client-secret"
AUTHORIZATION_CODE = "sandbox-code"
WAREHOUSES = [{"id": 1, "name": "Ann Arbor"}, {"id": 2, "name": "Reno"}]
LOCAL_TZ = timezone(timedelta(hours=-5))
SEED_EPOCH = datetime(2025, 12, 1, 9, 0, 0, tzinfo=LOCAL_TZ)
STATUS_NAMES = {
    30: "Shipped Externally",
    35: "Quote",
    40: "Cancelled",
    90: "Paused",
    100: "Processing",
    120: "Printed",
    150: "Picked",
    160: "Packed",
    300: "Shipped",
    350: "Delivered",
}
ORDER_FIELDS = (
    "email",
    "shipping_name",
    "shipping_company",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_city",
    "shipping_state",
    "shipping_zip",
    "shipping_country",
    "shipping_phone",
    "residential",
    "order_type",
    "shipping_method_id",
    "shop_shipping_method_text",
    "order_orig",
    "public_note",
    "ship_notes",
    "gift",
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="milliseconds")


def _now() -> str:
    return _iso(datetime.now(LOCAL_TZ))


def _parse_time(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class TokenBucket:
    def __init__(self, rate: float):
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        if not self.rate:
            return True
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def _matches(record: dict, search: dict, resolve) -> bool:
    """Ransack-style predicates over `record`; `resolve(record, attribute)` reads an attribute."""
    for key, expected in search.items():
        if key == "m":
            continue
        for suffix in ("_gteq", "_lteq", "_cont", "_eq", "_in", "_gt", "_lt"):
            if key.endswith(suffix):
                attribute, op = key[: -len(suffix)], suffix[1:]
                break
        else:
            raise ValueError(f"unsupported search predicate {key!r}")
        actual = resolve(record, attribute)
        if attribute.endswith("_at") and op in ("gt", "gteq", "lt", "lteq"):
            actual, expected = _parse_time(actual), _parse_time(expected)
            if actual is None or expected is None:
                return False
        if op == "eq" and str(actual) != str(expected):
            return False
        if op == "in" and str(actual) not in {str(v) for v in expected}:
            return False
        if op == "cont" and str(expected).lower() not in str(actual or "").lower():
            return False
        if op == "gt" and not actual > expected:
            return False
        if op == "gteq" and not actual >= expected:
            return False
        if op == "lt" and not actual < expected:
            return False
        if op == "lteq" and not actual <= expected:
            return False
    return True


class WhiplashSandbox(SandboxApp):
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

    # --- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        self.rate_limit = self.default_rate_limit
        self.bucket = TokenBucket(self.rate_limit)
        self.token_ttl = 7200
        self.create_response_delay_ms = 0
        self.strict_skus = False
        self.webhook_url = ""
        self.webhook_secret = CLIENT_SECRET
        self.stale_searches = 0
        self.create_response_status: list[int] = []
        self.fail_next_create: list[int] = []
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.counters = {
            "tokens_issued": 0,
            "refreshes": 0,
            "rejected_refreshes": 0,
            "rate_limited": 0,
            "orders_created": 0,
            "order_conflicts": 0,
            "order_updates": 0,
            "unauthorized": 0,
        }
        self.webhooks_sent: list[dict] = []
        self.items: dict[int, dict] = {}
        self.items_by_sku: dict[str, int] = {}
        for index, product in enumerate(demo_catalog(self.seed, self.record_count)):
            stamp = _iso(SEED_EPOCH + timedelta(minutes=index))
            split = product["quantity"] // 3
            self._add_item(
                {
                    "id": 1001 + index,
                    "sku": product["sku"],
                    "title": product["title"],
                    "name": product["title"],
                    "description": f"{product['title']} from the Ekyam demo catalog",
                    "price": product["price"],
                    "scancode": product["barcode"],
                    "weight": product["weight"],
                    "length": "10.0",
                    "width": "8.0",
                    "height": "2.0",
                    "active": True,
                    "available": product["quantity"] > 0,
                    "warehouse_quantities": {1: product["quantity"] - split, 2: split},
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        self.orders: dict[int, dict] = {}
        self.orders_by_originator: dict[str, int] = {}
        self.next_order_id = 50001

    def _add_item(self, item: dict) -> dict:
        item["quantity"] = sum(item["warehouse_quantities"].values())
        item["published_quantity"] = item["quantity"]
        self.items[item["id"]] = item
        self.items_by_sku[item["sku"]] = item["id"]
        return item

    def state(self) -> dict:
        with self.lock:
            orders = list(self.orders.values())
            return {
                "requests": self.request_count,
                **self.counters,
                "order_count": len(orders),
                "orders": [self._order_summary(o) for o in orders[-100:]],
                "webhooks_sent": self.webhooks_sent[-50:],
                "knobs": {
                    "rate_limit": self.rate_limit,
                    "token_ttl": self.token_ttl,
                    "create_response_delay_ms": self.create_response_delay_ms,
                    "strict_skus": self.strict_skus,
                    "webhook_url": self.webhook_url,
                },
            }

    @staticmethod
    def _order_summary(order: dict) -> dict:
        return {
            "id": order["id"],
            "original_id": order["originator"]["original_id"],
            "status": order["status"],
            "shipping_name": order.get("shipping_name"),
            "items": [{"sku": i["sku"], "quantity": i["quantity"]} for i in order["order_items"]],
        }

    def set_extra_knobs(self, data: dict) -> None:
        if "rate_limit" in data:
            self.rate_limit = float(data["rate_limit"] or 0)
            self.bucket = TokenBucket(self.rate_limit)
        for name in (
            "token_ttl",
            "create_response_delay_ms",
            "strict_skus",
            "webhook_url",
            "webhook_secret",
            "stale_searches",
            "create_response_status",
            "fail_next_create",
        ):
            if name in data:
                setattr(self, name, data[name])
        if data.get("revoke_tokens"):
            self.access_tokens.clear()

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

    # --- OAuth -----------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type:
            form = request.json() or {}
        else:
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("client_id") != CLIENT_ID or not hmac.compare_digest(
            str(form.get("client_secret", "")), CLIENT_SECRET
        ):
            return Response.json(
                {"error": "invalid_client", "error_description": "Client authentication failed (unknown client)."},
                401,
            )
        grant = form.get("grant_type")
        with self.lock:
            if grant == "client_credentials":
                return Response.json(self._issue(with_refresh=False, scope=form.get("scope") or "app_manage"))
            if grant == "authorization_code":
                if form.get("code") != AUTHORIZATION_CODE:
                    return self._invalid_grant("The authorization code is invalid.")
                return Response.json(self._issue(with_refresh=True, scope=form.get("scope") or "user_manage"))
            if grant == "refresh_token":
                presented = form.get("refresh_token", "")
                if presented not in self.refresh_tokens:
                    self.counters["rejected_refreshes"] += 1
                    return self._invalid_grant("The refresh token is invalid, expired or was already used.")
                self.refresh_tokens.discard(presented)  # rotation: a refresh token works once
                self.counters["refreshes"] += 1
                return Response.json(self._issue(with_refresh=True, scope="user_manage"))
        return Response.json(
            {"error": "unsupported_grant_type", "error_description": f"Unsupported grant type {grant!r}."}, 400
        )

    @staticmethod
    def _invalid_grant(description: str) -> Response:
        return Response.json({"error": "invalid_grant", "error_description": description}, 400)

    def _issue(self, *, with_refresh: bool, scope: str) -> dict:
        access = "wl-at-" + secrets.token_hex(16)
        self.access_tokens[access] = time.time() + float(self.token_ttl)
        self.counters["tokens_issued"] += 1
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.token_ttl),
            "scope": scope,
            "created_at": int(time.time()),
        }
        if with_refresh:
            refresh = "wl-rt-" + secrets.token_hex(16)
            self.refresh_tokens.add(refresh)
            body["refresh_token"] = refresh
        return body

    def issue_refresh_token(self) -> str:
        """A refresh token as the authorization-code flow in a browser would have produced (tests, demo)."""
        with self.lock:
            return self._issue(with_refresh=True, scope="user_manage")["refresh_token"]

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

    # --- orders ----------------------------------------------------------------------------
    @staticmethod
    def _resolve_order(order: dict, attribute: str):
        if attribute.startswith("originator_"):
            return order["originator"].get(attribute[len("originator_") :])
        return order.get(attribute)

    def list_orders(self, request: Request) -> Response:
        with self.lock:
            orders = list(self.orders.values())
            if self.stale_searches and "search" in request.query:
                self.stale_searches -= 1  # a lagging search index: the newest orders are not found yet
                return Response.json([])
        return self._page(request, orders, self._resolve_order, lambda o: o)

    def count_orders(self, request: Request) -> Response:
        with self.lock:
            orders = list(self.orders.values())
        search = json.loads(request.query.get("search") or "{}")
        return Response.json({"count": sum(1 for o in orders if _matches(o, search, self._resolve_order))})

    def all_orders(self, request: Request) -> Response:
        with self.lock:
            return Response.json([self._order_summary(o) for o in self.orders.values()])

    def get_order(self, request: Request) -> Response:
        order = self._order(request.params["id"])
        if order is None:
            return Response.json({"message": "Order not found"}, 404)
        return Response.json(order)

    def _order(self, order_id) -> dict | None:
        try:
            return self.orders.get(int(order_id))
        except (TypeError, ValueError):
            return None

    def _order_items(self, order_id: int, lines) -> tuple[list[dict] | None, str | None]:
        if not isinstance(lines, list) or not lines:
            return None, "Validation failed: Order items can't be blank"
        built = []
        for position, line in enumerate(lines):
            if not isinstance(line, dict):
                return None, f"Validation failed: order_items_attributes[{position}] must be an object"
            quantity = line.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                return None, f"Validation failed: order_items_attributes[{position}] quantity must be greater than 0"
            item = None
            if line.get("item_id") is not None:
                item = self._order_item_lookup(line["item_id"])
            elif line.get("sku"):
                item_id = self.items_by_sku.get(str(line["sku"]))
                item = self.items.get(item_id) if item_id else None
                if item is None and not self.strict_skus:
                    item = self._add_item(
                        {
                            "id": max(self.items, default=1000) + 1,
                            "sku": str(line["sku"]),
                            "title": line.get("description") or str(line["sku"]),
                            "name": line.get("description") or str(line["sku"]),
                            "price": line.get("price"),
                            "active": True,
                            "available": False,
                            "warehouse_quantities": {1: 0, 2: 0},
                            "created_at": _now(),
                            "updated_at": _now(),
                        }
                    )
            else:
                return None, f"Validation failed: order_items_attributes[{position}] needs a sku or an item_id"
            if item is None:
                return None, f"Validation failed: Item with sku {line.get('sku') or line.get('item_id')!r} not found"
            built.append(
                {
                    "id": order_id * 100 + position + 1,
                    "order_id": order_id,
                    "item_id": item["id"],
                    "sku": item["sku"],
                    "quantity": quantity,
                    "price": line.get("price"),
                    "description": line.get("description") or item["title"],
                    "packed": 0,
                    "available": item["quantity"] >= quantity,
                }
            )
        return built, None

    def _order_item_lookup(self, item_id):
        try:
            return self.items.get(int(item_id))
        except (TypeError, ValueError):
            return None

    def create_order(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return Response.json({"message": "Malformed JSON body"}, 400)
        if not isinstance(body, dict):
            return Response.json({"message": "The body must be a JSON object"}, 422)
        if not body.get("shipping_address_1"):
            return Response.json({"message": "Validation failed: Shipping address 1 can't be blank"}, 422)
        originator = body.get("originator_attributes") or {}
        original_id = str(originator.get("original_id") or "") or None
        with self.lock:
            if self.fail_next_create:
                return self.error_response(self.fail_next_create.pop(0))  # refused before storing anything
            if original_id and original_id in self.orders_by_originator:
                self.counters["order_conflicts"] += 1
                existing = self.orders_by_originator[original_id]
                return Response.json(
                    {"message": f"Conflict: order {existing} already has originator original_id {original_id!r}"},
                    409,
                )
            order_id = self.next_order_id
            items, error = self._order_items(order_id, body.get("order_items_attributes"))
            if error:
                return Response.json({"message": error}, 422)
            self.next_order_id += 1
            stamp = _now()
            order = {
                "id": order_id,
                "humanize_id": f"WL-{order_id}",
                "customer_id": 1021,
                "warehouse_id": 1,
                "status": 100,
                "status_name": STATUS_NAMES[100],
                "created_at": stamp,
                "updated_at": stamp,
                "shipped_on": None,
                "tracking": [],
                "tracking_links": [],
                "packages": [],
                "is_workable": True,
                "items_updateable": True,
                **{name: body.get(name) for name in ORDER_FIELDS},
                "order_items": items,
                "originator": {
                    "id": order_id + 900000,
                    "provider": "api",
                    "original_id": original_id,
                    "group_id": originator.get("group_id"),
                    "originated_type": "Order",
                },
            }
            self.orders[order_id] = order
            if original_id:
                self.orders_by_originator[original_id] = order_id
            self.counters["orders_created"] += 1
            status = self.create_response_status.pop(0) if self.create_response_status else 201
        if status != 201:
            return self.error_response(status)  # stored, but the answer says otherwise (a gateway failure)
        if self.create_response_delay_ms:
            time.sleep(float(self.create_response_delay_ms) / 1000)  # accepted; the answer comes late
        return Response.json(order, 201)

    def update_order(self, request: Request) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return Response.json({"message": "Malformed JSON body"}, 400)
        with self.lock:
            order = self._order(request.params["id"])
            if order is None:
                return Response.json({"message": "Order not found"}, 404)
            if not order_editable(order["status"]):
                return Response.json(
                    {"message": f"Order {order['id']} is {order['status_name']} and can no longer be updated"}, 422
                )
            if "order_items_attributes" in body:
                items, error = self._order_items(order["id"], body["order_items_attributes"])
                if error:
                    return Response.json({"message": error}, 422)
                order["order_items"] = items
            for name in ORDER_FIELDS:
                if name in body:
                    order[name] = body[name]
            order["updated_at"] = _now()
            self.counters["order_updates"] += 1
            return Response.json(order)

    # --- persistence and activity ---------------------------------------------------------
    def snapshot(self) -> dict:
        return {
            "items": list(self.items.values()),
            "orders": list(self.orders.values()),
            "next_order_id": self.next_order_id,
            "counters": self.counters,
            # Tokens the portal holds stay valid across a restart (a refresh token works once).
            "access_tokens": self.access_tokens,
            "refresh_tokens": sorted(self.refresh_tokens),
        }

    def restore(self, data: dict) -> None:
        if "items" not in data:
            return
        self.items, self.items_by_sku = {}, {}
        for item in data["items"]:
            item["warehouse_quantities"] = {int(k): v for k, v in item["warehouse_quantities"].items()}
            self._add_item(item)
        self.orders = {int(o["id"]): o for o in data["orders"]}
        self.orders_by_originator = {
            str(o["originator"]["original_id"]): o["id"] for o in self.orders.values() if o["originator"]["original_id"]
        }
        self.next_order_id = int(data["next_order_id"])
        self.counters.update(data.get("counters") or {})
        self.access_tokens = {str(k): float(v) for k, v in (data.get("access_tokens") or {}).items()}
        self.refresh_tokens = set(data.get("refresh_tokens") or [])

    def activity(self, rng) -> tuple[dict, list]:
        """A warehouse's day: one or two items' stock moves (received or picked), and the oldest order
        still being processed ships with tracking. Each change sends its webhook."""
        sends, summary = [], {"inventory": [], "shipped": []}
        skus = sorted(self.items_by_sku)
        for sku in rng.sample(skus, k=min(len(skus), rng.choice([1, 1, 2]))):
            item = self.items[self.items_by_sku[sku]]
            warehouse = rng.choice([w["id"] for w in WAREHOUSES])
            current = item["warehouse_quantities"].get(warehouse, 0)
            quantity = max(0, current + rng.choice([-3, -2, -1, 5, 12, 24]))
            body = self._change_inventory(item, warehouse, quantity)
            summary["inventory"].append({"sku": sku, "warehouse_id": warehouse, "quantity": quantity})
            sends += self._sends(body)
        processing = [o for o in self.orders.values() if o["status"] < 300 and o["status"] not in (35, 40, 90)]
        if processing:
            order = min(processing, key=lambda o: o["id"])
            tracking = "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
            body = self._ship(order, tracking, rng.choice(["UPS Ground", "UPS 2nd Day Air", "USPS Priority Mail"]))
            summary["shipped"].append({"order_id": order["id"], "tracking": tracking})
            sends += self._sends(body)
        return summary, sends

    def _sends(self, body: dict) -> list:
        raw, secret = json.dumps(body).encode(), str(self.webhook_secret)
        return [lambda url=url: self._deliver(url, raw, secret) for url in self.webhook_targets()]

    def _change_inventory(self, item: dict, warehouse: int, quantity: int) -> dict:
        item["warehouse_quantities"][warehouse] = int(quantity)
        self._add_item(item)
        item["available"] = item["quantity"] > 0
        item["updated_at"] = _now()
        return {"event_name": "item.inventory_changed", "item": self._item_entity(item)}

    def _ship(self, order: dict, tracking: str, ship_method: str) -> dict:
        order.update(
            status=300,
            status_name=STATUS_NAMES[300],
            shipped_on=_now(),
            updated_at=_now(),
            ship_method=ship_method,
            tracking=[tracking],
            tracking_links=[f"https://www.ups.com/track?tracknum={tracking}"],
            packages=[{"id": order["id"] * 10, "tracking": tracking, "shipped_on": _now()}],
        )
        return {"event_name": "order.shipped", "order": order}

    # --- webhook sender --------------------------------------------------------------------
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
