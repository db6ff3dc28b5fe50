"""Shopify readers: `products` (one record per variant → Product), `locations`, `inventory`
(one record per inventory item and location → InventoryLevel).

Cursor pagination (`after`/`endCursor`) inside one query; incremental runs search `updated_at:>='…'`
from the newest `updatedAt` seen. The Ekyam cursor is JSON `{"since", "after", "max"}`: a run resumes
mid-query with `after`, and a finished run leaves `{"since": max}` for the next one (records updated
exactly at `since` are read again: at-least-once, and the writers downstream are idempotent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from connectors.base import Page, ValidationError, ceil_to_second, decode_json_cursor, parse_since
from connectors.shopify import queries
from connectors.shopify.client import ShopifyClient

LEVELS_FIRST = 20
VARIANTS_FIRST = 20


def _cursor(cursor: str | None) -> dict:
    data = decode_json_cursor(cursor, "Shopify")
    return data if isinstance(data, dict) else {}


def cursor_from_date(since: datetime | str) -> str:
    """A finished-run cursor at `since`: the next read searches `updated_at:>='since'`. Shopify stamps
    to the second, so a `since` inside a second starts at the next whole one."""
    return json.dumps({"since": ceil_to_second(parse_since(since)).strftime("%Y-%m-%dT%H:%M:%SZ")})


def _numeric(gid) -> str:
    return str(gid).rsplit("/", 1)[-1].split("?")[0]


def product_records(product: dict) -> list[dict]:
    parent = {k: v for k, v in product.items() if k != "variants"}
    variants = (product.get("variants") or {}).get("nodes") or []
    return [
        {
            **variant,
            "options": {o["name"]: o["value"] for o in variant.get("selectedOptions") or []},
            "product": parent,
            "updatedAt": product.get("updatedAt"),
        }
        for variant in variants
    ]


def level_records(item: dict) -> list[dict]:
    records = []
    for level in (item.get("inventoryLevels") or {}).get("nodes") or []:
        quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
        records.append(
            {
                "id": level.get("id"),
                "inventoryItemId": item["id"],
                "sku": item.get("sku"),
                "location": level.get("location") or {},
                "available": quantities.get("available"),
                "on_hand": quantities.get("on_hand"),
                "committed": quantities.get("committed"),
                "incoming": quantities.get("incoming"),
                "updatedAt": level.get("updatedAt") or item.get("updatedAt"),
            }
        )
    return records


class Readers:
    def __init__(self, client: ShopifyClient):
        self.client = client

    def read(self, stream: str, *, cursor=None, page_size=None, ids=None) -> Iterator[Page]:
        first = max(1, min(int(page_size or 25), 40))
        if stream == "locations":
            yield from self._paged(
                "Locations", queries.LOCATIONS, "locations", {"first": first}, None, {}, lambda n: [n]
            )
        elif stream == "products":
            extra = {"variantsFirst": VARIANTS_FIRST}
            query = " OR ".join(f"id:{_numeric(i)}" for i in ids) if ids else None
            yield from self._paged(
                "Products",
                queries.PRODUCTS,
                "products",
                {"first": first, **extra},
                query,
                _cursor(None if ids else cursor),
                product_records,
            )
        elif stream == "inventory":
            if ids:
                yield from self._items(list(ids), cursor)
                return
            yield from self._paged(
                "InventoryLevels",
                queries.INVENTORY_LEVELS,
                "inventoryItems",
                {"first": first, "levelsFirst": LEVELS_FIRST},
                None,
                _cursor(cursor),
                level_records,
            )
        else:
            raise ValidationError(f"Shopify has no reader for {stream!r}; it reads products, locations, inventory.")

    def _paged(self, operation, document, root, variables, query, position, shape) -> Iterator[Page]:
        since, after, newest = position.get("since"), position.get("after"), position.get("max")
        if query is None and since:
            query = f"updated_at:>='{since}'"
        while True:
            before = self.client.requests_made
            data = self.client.execute(operation, document, {**variables, "after": after, "query": query})
            connection = data.get(root) or {}
            nodes = connection.get("nodes") or []
            records = [r for node in nodes for r in shape(node)]
            for node in nodes:
                stamp = node.get("updatedAt")
                if stamp and (newest is None or stamp > newest):
                    newest = stamp
            info = connection.get("pageInfo") or {}
            after = info.get("endCursor") or after
            done = not info.get("hasNextPage")
            state = {"since": newest or since} if done else {"since": since, "after": after, "max": newest}
            yield Page(records, json.dumps(state), done=done, requests=self.client.requests_made - before)
            if done:
                return

    def _items(self, ids: list[str], cursor) -> Iterator[Page]:
        gids = [i if str(i).startswith("gid://") else f"gid://shopify/InventoryItem/{i}" for i in ids]
        data = self.client.execute("ItemLevels", queries.ITEM_LEVELS, {"ids": gids, "levelsFirst": LEVELS_FIRST})
        records = [r for node in data.get("nodes") or [] if node for r in level_records(node)]
        yield Page(records, cursor, done=True)
