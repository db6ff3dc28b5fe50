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

import re

from connectors.sandbox import Request, Response, SandboxApp
from connectors.shopify.sandbox.activity import ShopifyActivity
from connectors.shopify.sandbox.data import (
    ACCESS_TOKEN,
    MAX_QUERY_COST,
    QUANTITY_NAMES,
    SHOP_DOMAIN,
    ShopifyState,
    _decode_cursor,
    _encode_cursor,
    _numeric,
)
from connectors.shopify.sandbox.mutations import ShopifyInventoryMutation
from connectors.shopify.sandbox.webhooks import ShopifyWebhooks


class ShopifySandbox(ShopifyState, ShopifyInventoryMutation, ShopifyActivity, ShopifyWebhooks, SandboxApp):
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
