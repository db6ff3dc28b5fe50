"""The Shopify Admin GraphQL sandbox: exactly the operations the connector sends, over real HTTP.

`POST /admin/api/<version>/graphql.json` with `X-Shopify-Access-Token` answers the operations in
`connectors/shopify/queries.py` by operation name (no GraphQL engine): ShopCheck, Products, Locations,
InventoryItemsBySku, InventoryLevels, ItemLevels and the SetQuantities mutation (`inventorySetQuantities`
with compare-and-set, atomic: any userError applies nothing, with the 2024-10 userError codes).

Every answer carries `extensions.cost` from a leaky bucket (`bucket_size` points, `restore_rate`
points per second); a query costing more than what is available gets the `THROTTLED` error body.

`POST /_sandbox/fire` sends a webhook (`inventory_levels/update`, `products/update`, `orders/create`)
to `url` (or the `webhook_url` knob), signed with `X-Shopify-Hmac-Sha256`; `repeat` redelivers it with
the same `X-Shopify-Event-Id`. Other knobs: `scopes` (granted access scopes), `concurrent_change`
(`{"sku", "location", "delta", "times"}`: someone else changes stock right before the next mutations),
`delete_sku` (the item disappears: INVALID_INVENTORY_ITEM), `webhook_secret`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from connectors.demo_catalog import demo_catalog
from connectors.sandbox import Request, Response, SandboxApp

ACCESS_TOKEN = "shpat_ekyam_sandbox_token"
APP_SECRET = "shopify-sandbox-app-secret"
SHOP_DOMAIN = "ekyam-demo.myshopify.com"
ALL_SCOPES = ["read_products", "read_inventory", "write_inventory", "read_locations", "read_orders"]
SEED_EPOCH = datetime(2025, 12, 1, 14, 0, 0, tzinfo=UTC)
MAX_QUERY_COST = 1000
VALID_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric(gid: str) -> int:
    return int(str(gid).rsplit("/", 1)[-1].split("?")[0])


def _encode_cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str | None):
    if not cursor:
        return None
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))


class CostBucket:
    def __init__(self, size: float, restore_rate: float):
        self.size = float(size)
        self.restore_rate = float(restore_rate)
        self.available = float(size)
        self.updated = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.size, self.available + (now - self.updated) * self.restore_rate)
        self.updated = now

    def status(self) -> dict:
        return {
            "maximumAvailable": self.size,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }


class ShopifySandbox(SandboxApp):
    name = "shopify"

    def __init__(
        self, seed: int = 42, records: int | None = None, bucket_size: float = 2000, restore_rate: float = 100
    ):
        super().__init__(seed)
        self.record_count = records if records is not None else 40
        self.default_bucket = (bucket_size, restore_rate)
        self.reset()
        self.route("POST", "/admin/api/{version}/graphql.json", self.graphql)
        self.route("POST", "/_sandbox/fire", self.fire)

    # --- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        self.bucket = CostBucket(*self.default_bucket)
        self.scopes = list(ALL_SCOPES)
        self.webhook_url = ""
        self.webhook_secret = APP_SECRET
        self.concurrent_change: dict | None = None
        self.counters = {"queries": 0, "throttled": 0, "mutations": 0, "user_errors": 0, "unauthorized": 0}
        self.quantities_set: list[dict] = []
        self.user_errors: list[dict] = []
        self.webhooks_sent: list[dict] = []
        self.locations = [
            {
                "id": "gid://shopify/Location/1001",
                "name": "Main Warehouse",
                "isActive": True,
                "fulfillsOnlineOrders": True,
                "address": {
                    "address1": "123 Main St",
                    "address2": None,
                    "city": "Ottawa",
                    "provinceCode": "ON",
                    "zip": "K2P 1L4",
                    "countryCode": "CA",
                },
            },
            {
                "id": "gid://shopify/Location/1002",
                "name": "Pop-up Store",
                "isActive": True,
                "fulfillsOnlineOrders": False,
                "address": {
                    "address1": "9 Market Sq",
                    "address2": None,
                    "city": "Toronto",
                    "provinceCode": "ON",
                    "zip": "M5V 2T6",
                    "countryCode": "CA",
                },
            },
            {
                "id": "gid://shopify/Location/1003",
                "name": "Closed Outlet",
                "isActive": False,
                "fulfillsOnlineOrders": False,
                "address": {
                    "address1": "1 Old Rd",
                    "address2": None,
                    "city": "Hamilton",
                    "provinceCode": "ON",
                    "zip": "L8P 4R5",
                    "countryCode": "CA",
                },
            },
        ]
        self.products: list[dict] = []
        self.items: dict[str, dict] = {}
        for index, entry in enumerate(demo_catalog(self.seed, self.record_count)):
            stamp = _iso(SEED_EPOCH + timedelta(minutes=index))
            item_id = f"gid://shopify/InventoryItem/{9001 + index}"
            levels = {"gid://shopify/Location/1001": self._level(entry["quantity"], stamp)}
            if index % 2 == 0:
                levels["gid://shopify/Location/1002"] = self._level(entry["quantity"] // 4, stamp)
            self.items[item_id] = {
                "id": item_id,
                "sku": entry["sku"],
                "tracked": True,
                "updatedAt": stamp,
                "levels": levels,
            }
            title, _, size = entry["title"].rpartition(" ")
            self.products.append(
                {
                    "id": f"gid://shopify/Product/{7001 + index}",
                    "title": title,
                    "handle": title.lower().replace(" ", "-") + f"-{index}",
                    "status": "ACTIVE",
                    "vendor": "Ekyam Demo",
                    "productType": title.split(" ")[0],
                    "tags": ["demo"],
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "variants": [
                        {
                            "id": f"gid://shopify/ProductVariant/{8001 + index}",
                            "title": size,
                            "sku": entry["sku"],
                            "barcode": entry["barcode"],
                            "price": entry["price"],
                            "selectedOptions": [{"name": "Size", "value": size}],
                            "inventoryItem": item_id,
                        }
                    ],
                }
            )

    @staticmethod
    def _level(available: int, stamp: str) -> dict:
        return {"available": available, "on_hand": available + 2, "committed": 2, "incoming": 0, "updatedAt": stamp}

    def item_by_sku(self, sku: str) -> dict | None:
        return next((i for i in self.items.values() if i["sku"] == sku), None)

    def state(self) -> dict:
        with self.lock:
            return {
                "requests": self.request_count,
                **self.counters,
                "bucket": self.bucket.status(),
                "quantities_set": self.quantities_set[-200:],
                "user_errors": self.user_errors[-100:],
                "webhooks_sent": self.webhooks_sent[-50:],
                "levels": {
                    item["sku"]: {loc: lvl["available"] for loc, lvl in item["levels"].items()}
                    for item in list(self.items.values())[:200]
                },
            }

    def set_extra_knobs(self, data: dict) -> None:
        if "bucket_size" in data or "restore_rate" in data:
            self.bucket = CostBucket(
                data.get("bucket_size", self.bucket.size), data.get("restore_rate", self.bucket.restore_rate)
            )
        for name in ("scopes", "webhook_url", "webhook_secret", "concurrent_change"):
            if name in data:
                setattr(self, name, data[name])
        if data.get("delete_sku"):
            item = self.item_by_sku(data["delete_sku"])
            if item:
                del self.items[item["id"]]
        if "set_available" in data:  # {"sku", "location", "available"}: someone edits stock in the admin
            change = data["set_available"]
            item = self.item_by_sku(change["sku"])
            item["levels"][change["location"]]["available"] = int(change["available"])

    # --- frame hooks -----------------------------------------------------------------------
    def error_response(self, status: int) -> Response:
        return Response.json({"errors": f"Injected failure ({status})"}, status)

    def before_request(self, request: Request) -> Response | None:
        if request.path.startswith("/admin/") and request.headers.get("X-Shopify-Access-Token") != ACCESS_TOKEN:
            with self.lock:
                self.counters["unauthorized"] += 1
            return Response.json(
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, 401
            )
        return None

    # --- GraphQL ---------------------------------------------------------------------------
    def graphql(self, request: Request) -> Response:
        version = request.params["version"]
        try:
            body = request.json() or {}
        except ValueError:
            return Response.json({"errors": "Bad Request"}, 400)
        query = str(body.get("query") or "")
        variables = body.get("variables") or {}
        name = body.get("operationName")
        if not name:
            match = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
            name = match.group(1) if match else ""
        handler = {
            "ShopCheck": (self._shop_check, lambda v: 2),
            "Products": (self._products, lambda v: 2 + v.get("first", 0) * (3 + v.get("variantsFirst", 0))),
            "Locations": (self._locations, lambda v: 2 + v.get("first", 0)),
            "InventoryItemsBySku": (self._items_by_sku, lambda v: 2 + v.get("first", 0)),
            "InventoryLevels": (
                self._inventory_levels,
                lambda v: 2 + v.get("first", 0) * (3 + v.get("levelsFirst", 0)),
            ),
            "ItemLevels": (self._item_levels, lambda v: len(v.get("ids") or []) * (3 + v.get("levelsFirst", 0))),
            "ItemLevelAt": (self._item_level_at, lambda v: len(v.get("ids") or []) * 3),
            "SetQuantities": (self._set_quantities, lambda v: 10),
        }.get(name)
        headers = {"X-Shopify-API-Version": version}
        if handler is None:
            return Response.json(
                {"errors": [{"message": f"Sandbox does not implement operation {name!r}"}]}, 200, headers
            )
        execute, estimate = handler
        try:
            cost = int(estimate(variables))
        except (TypeError, ValueError):
            return Response.json({"errors": [{"message": "Invalid variables"}]}, 200, headers)
        with self.lock:
            self.counters["queries"] += 1
            self.bucket.refill()
            if cost > MAX_QUERY_COST:
                return Response.json(
                    {
                        "errors": [
                            {
                                "message": f"Query cost is {cost}, which exceeds the single query max cost limit "
                                f"({MAX_QUERY_COST}).",
                                "extensions": {"code": "MAX_COST_EXCEEDED"},
                            }
                        ]
                    },
                    200,
                    headers,
                )
            if self.bucket.available < cost:
                self.counters["throttled"] += 1
                return Response.json(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": cost,
                                "actualQueryCost": None,
                                "throttleStatus": self.bucket.status(),
                            }
                        },
                    },
                    200,
                    headers,
                )
            self.bucket.available -= cost
            try:
                data = execute(variables)
            except PermissionError as exc:
                return Response.json(
                    {"errors": [{"message": str(exc), "extensions": {"code": "ACCESS_DENIED"}}]}, 200, headers
                )
            except (KeyError, TypeError, ValueError) as exc:
                return Response.json({"errors": [{"message": f"Invalid input: {exc}"}]}, 200, headers)
            extensions = {
                "cost": {"requestedQueryCost": cost, "actualQueryCost": cost, "throttleStatus": self.bucket.status()}
            }
        return Response.json({"data": data, "extensions": extensions}, 200, headers)

    def _require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionError(f"Access denied: this operation needs the {scope} access scope.")

    @staticmethod
    def _paginate(nodes: list[dict], key, first: int, after: str | None) -> tuple[list[dict], dict]:
        ordered = sorted(nodes, key=key)
        position = _decode_cursor(after)
        if position is not None:
            ordered = [n for n in ordered if list(key(n)) > position]
        page = ordered[: max(0, int(first))]
        has_next = len(ordered) > len(page)
        end = _encode_cursor(list(key(page[-1]))) if page else after
        return page, {"hasNextPage": has_next, "endCursor": end}

    @staticmethod
    def _search_filter(query: str | None):
        """The few search terms the connector uses: updated_at:>'…' / >=, id:N, sku:'…' (OR-ed)."""
        query = query or ""
        since = re.search(r"updated_at:>(=?)'?([^'\s]+)'?", query)
        ids = {int(x) for x in re.findall(r"\bid:(\d+)", query)}
        skus = {a or b or c for a, b, c in re.findall(r"sku:(?:'([^']*)'|\"([^\"]*)\"|([^\s)]+))", query)}

        def accept(updated_at: str, numeric_id: int, sku_values: list[str]) -> bool:
            if since:
                inclusive, bound = since.group(1) == "=", since.group(2)
                if not (updated_at >= bound if inclusive else updated_at > bound):
                    return False
            if ids and numeric_id not in ids:
                return False
            return not (skus and not skus.intersection(sku_values))

        return accept

    def _shop_check(self, variables) -> dict:
        return {
            "shop": {"name": "Ekyam Demo Store", "myshopifyDomain": SHOP_DOMAIN},
            "currentAppInstallation": {"accessScopes": [{"handle": s} for s in self.scopes]},
        }

    def _variant(self, variant: dict) -> dict:
        item = self.items.get(variant["inventoryItem"])
        quantity = sum(level["available"] for level in item["levels"].values()) if item else 0
        return {
            **{k: v for k, v in variant.items() if k != "inventoryItem"},
            "inventoryQuantity": quantity,
            "inventoryItem": {"id": variant["inventoryItem"], "tracked": bool(item and item["tracked"])},
        }

    def _products(self, v) -> dict:
        self._require("read_products")
        accept = self._search_filter(v.get("query"))
        nodes = [
            p for p in self.products if accept(p["updatedAt"], _numeric(p["id"]), [x["sku"] for x in p["variants"]])
        ]
        page, info = self._paginate(nodes, lambda p: (p["updatedAt"], _numeric(p["id"])), v["first"], v.get("after"))
        return {
            "products": {
                "pageInfo": info,
                "nodes": [
                    {
                        **{k: val for k, val in p.items() if k != "variants"},
                        "variants": {"nodes": [self._variant(x) for x in p["variants"][: v["variantsFirst"]]]},
                    }
                    for p in page
                ],
            }
        }

    def _locations(self, v) -> dict:
        self._require("read_locations")
        page, info = self._paginate(self.locations, lambda loc: (_numeric(loc["id"]),), v["first"], v.get("after"))
        return {"locations": {"pageInfo": info, "nodes": page}}

    def _items_by_sku(self, v) -> dict:
        self._require("read_inventory")
        accept = self._search_filter(v["query"])
        nodes = [i for i in self.items.values() if accept(i["updatedAt"], _numeric(i["id"]), [i["sku"]])]
        page, _ = self._paginate(nodes, lambda i: (_numeric(i["id"]),), v["first"], None)
        return {"inventoryItems": {"nodes": [{"id": i["id"], "sku": i["sku"], "tracked": i["tracked"]} for i in page]}}

    def _item_node(self, item: dict, levels_first: int) -> dict:
        location_names = {loc["id"]: loc["name"] for loc in self.locations}
        levels = []
        for location_id, level in list(item["levels"].items())[:levels_first]:
            levels.append(
                {
                    "id": f"gid://shopify/InventoryLevel/{_numeric(location_id) * 7}?inventory_item_id={_numeric(item['id'])}",
                    "updatedAt": level["updatedAt"],
                    "location": {"id": location_id, "name": location_names.get(location_id, "")},
                    "quantities": [{"name": n, "quantity": level[n]} for n in QUANTITY_NAMES],
                }
            )
        return {
            "id": item["id"],
            "sku": item["sku"],
            "updatedAt": item["updatedAt"],
            "inventoryLevels": {"nodes": levels},
        }

    def _inventory_levels(self, v) -> dict:
        self._require("read_inventory")
        accept = self._search_filter(v.get("query"))
        nodes = [i for i in self.items.values() if accept(i["updatedAt"], _numeric(i["id"]), [i["sku"]])]
        page, info = self._paginate(nodes, lambda i: (i["updatedAt"], _numeric(i["id"])), v["first"], v.get("after"))
        return {"inventoryItems": {"pageInfo": info, "nodes": [self._item_node(i, v["levelsFirst"]) for i in page]}}

    def _item_levels(self, v) -> dict:
        self._require("read_inventory")
        return {
            "nodes": [self._item_node(self.items[i], v["levelsFirst"]) if i in self.items else None for i in v["ids"]]
        }

    def _item_level_at(self, v) -> dict:
        self._require("read_inventory")
        nodes = []
        for item_id in v["ids"]:
            item = self.items.get(item_id)
            level = item["levels"].get(v["locationId"]) if item else None
            quantities = [{"name": "available", "quantity": level["available"]}] if level else None
            nodes.append(
                {"id": item_id, "inventoryLevel": {"quantities": quantities} if level else None} if item else None
            )
        return {"nodes": nodes}

    def _set_quantities(self, v) -> dict:
        self._require("write_inventory")
        data = v["input"]
        errors = []

        def error(code, field, message):
            errors.append({"code": code, "field": field, "message": message})

        if data.get("name") not in ("available", "on_hand"):
            error("INVALID_NAME", ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.")
        if data.get("reason") not in VALID_REASONS:
            error("INVALID_REASON", ["input", "reason"], f"The reason {data.get('reason')!r} is not valid.")
        uri = data.get("referenceDocumentUri")
        if uri is not None and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", str(uri)):
            error(
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
                "The referenceDocumentUri must be a valid URI.",
            )
        self._apply_concurrent_change()
        seen = set()
        active = {loc["id"] for loc in self.locations if loc["isActive"]}
        for index, q in enumerate(data.get("quantities") or []):
            path = ["input", "quantities", str(index)]
            item = self.items.get(q.get("inventoryItemId"))
            pair = (q.get("inventoryItemId"), q.get("locationId"))
            if pair in seen:
                error(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
                continue
            seen.add(pair)
            if item is None:
                error(
                    "INVALID_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
                continue
            if q.get("locationId") not in active:
                error("INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found.")
                continue
            level = item["levels"].get(q["locationId"])
            if level is None:
                error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
                continue
            if not item["tracked"]:
                error("NON_MUTABLE_INVENTORY_ITEM", [*path, "inventoryItemId"], "The inventory item is not tracked.")
                continue
            quantity = q.get("quantity")
            if not isinstance(quantity, int) or quantity < 0:
                error("INVALID_QUANTITY_NEGATIVE", [*path, "quantity"], "The quantity can't be negative.")
                continue
            if quantity > 1_000_000_000:
                error(
                    "INVALID_QUANTITY_TOO_HIGH", [*path, "quantity"], "The quantity can't be higher than 1,000,000,000."
                )
                continue
            if not data.get("ignoreCompareQuantity"):
                if q.get("compareQuantity") is None:
                    error(
                        "COMPARE_QUANTITY_REQUIRED",
                        [*path, "compareQuantity"],
                        "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                    )
                elif q["compareQuantity"] != level[data.get("name") or "available"]:
                    error(
                        "COMPARE_QUANTITY_STALE",
                        [*path, "compareQuantity"],
                        "The compareQuantity argument no longer matches the persisted quantity.",
                    )
        self.counters["mutations"] += 1
        if errors:  # atomic: nothing is applied
            self.counters["user_errors"] += len(errors)
            self.user_errors.extend(errors)
            return {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": errors}}
        stamp = _iso(datetime.now(UTC))
        changes = []
        for q in data["quantities"]:
            item = self.items[q["inventoryItemId"]]
            level = item["levels"][q["locationId"]]
            delta = q["quantity"] - level["available"]
            level["available"] = q["quantity"]
            level["on_hand"] += delta
            level["updatedAt"] = item["updatedAt"] = stamp
            changes.append(
                {
                    "name": "available",
                    "delta": delta,
                    "quantityAfterChange": q["quantity"],
                    "item": {"id": item["id"]},
                    "location": {"id": q["locationId"]},
                }
            )
            self.quantities_set.append(
                {
                    "sku": item["sku"],
                    "location": q["locationId"],
                    "quantity": q["quantity"],
                    "delta": delta,
                    "reason": data["reason"],
                    "reference": uri,
                }
            )
        return {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": {
                    "createdAt": stamp,
                    "reason": data["reason"],
                    "referenceDocumentUri": uri,
                    "changes": changes,
                },
                "userErrors": [],
            }
        }

    def _apply_concurrent_change(self) -> None:
        change = self.concurrent_change
        if not change or change.get("times", 1) <= 0:
            return
        item = self.item_by_sku(change["sku"])
        if item:
            level = item["levels"].get(change.get("location", "gid://shopify/Location/1001"))
            if level:
                level["available"] += int(change.get("delta", -1))
        change["times"] = change.get("times", 1) - 1

    # --- persistence and activity ---------------------------------------------------------
    def snapshot(self) -> dict:
        return {"items": list(self.items.values()), "products": self.products, "counters": self.counters}

    def restore(self, data: dict) -> None:
        if "items" not in data:
            return
        self.items = {item["id"]: item for item in data["items"]}
        self.products = data["products"]
        self.counters.update(data.get("counters") or {})

    def activity(self, rng) -> tuple[dict, list]:
        """Now and then (one round in three) a merchant edits stock in the Shopify admin: a count at the
        main warehouse changes, and `inventory_levels/update` goes out."""
        if rng.random() >= 1 / 3 or not self.items:
            return {"edited": []}, []
        item = self.items[rng.choice(sorted(self.items))]
        location = "gid://shopify/Location/1001"
        available = max(0, item["levels"][location]["available"] + rng.choice([-4, -2, -1, 3, 6]))
        body = self._level_changed(item, location, available)
        raw = json.dumps(body).encode()
        secret, topic, event_id = (
            str(self.webhook_secret),
            "inventory_levels/update",
            str(uuid.UUID(int=rng.getrandbits(128))),
        )
        sends = [lambda url=url: self._deliver(url, raw, secret, topic, event_id) for url in self.webhook_targets()]
        return {"edited": [{"sku": item["sku"], "location": location, "available": available}]}, sends

    def _level_changed(self, item: dict, location: str, available) -> dict:
        level = item["levels"][location]
        if available is not None:
            level["available"] = int(available)
            level["updatedAt"] = item["updatedAt"] = _iso(datetime.now(UTC))
        return {
            "inventory_item_id": _numeric(item["id"]),
            "location_id": _numeric(location),
            "available": level["available"],
            "updated_at": level["updatedAt"],
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{_numeric(location) * 7}"
            f"?inventory_item_id={_numeric(item['id'])}",
        }

    # --- webhook sender --------------------------------------------------------------------
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
