"""Whiplash readers: `inventory` (items → inventory levels), `products` (items), `orders` (status, tracking).

All three page with page/per_page until a short page, sorted by (updated_at, id) and filtered with
`updated_at_gteq`, so a run resumes from its cursor `{"updated_at": …, "id": …}`; records at the
cursor's own timestamp that were already read (id ≤ cursor id) are dropped, none are lost.
`ids=[…]` reads just those records (targeted sync from a webhook).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from connectors.base import Page, ValidationError, decode_json_cursor, parse_since
from connectors.whiplash.client import WhiplashClient

DEFAULT_PAGE_SIZE = 50
ALL_WAREHOUSES = {"id": "all", "name": "All Whiplash warehouses"}
PATHS = {"inventory": "/api/v2/items", "products": "/api/v2/items", "orders": "/api/v2/orders"}


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_cursor(cursor: str | None) -> dict:
    data = decode_json_cursor(cursor, "Whiplash")
    if not isinstance(data, dict):
        raise ValidationError(f"Unreadable Whiplash cursor {cursor!r}.")
    return data


def cursor_from_date(since: datetime | str) -> str:
    """A cursor positioned just before the first record updated on/after `since`: `updated_at_gteq` lists
    from `since`, and id 0 keeps every record stamped exactly at `since` (ids are positive)."""
    return json.dumps({"updated_at": parse_since(since).isoformat(), "id": 0})


def _after(record: dict, cursor: dict) -> bool:
    """True when `record` comes after the cursor position in (updated_at, id) order."""
    if not cursor.get("updated_at"):
        return True
    when, mark = _when(record.get("updated_at")), _when(cursor["updated_at"])
    if when is None or mark is None:
        return True
    if when != mark:
        return when > mark
    return int(record.get("id") or 0) > int(cursor.get("id") or 0)


class Readers:
    def __init__(self, client: WhiplashClient, *, per_warehouse: bool = False):
        self.client = client
        self.per_warehouse = per_warehouse

    def read(self, stream: str, *, cursor=None, page_size=None, ids=None) -> Iterator[Page]:
        if stream not in PATHS:
            raise ValidationError(f"Whiplash has no reader for {stream!r}; it reads inventory, products, orders.")
        per_page = max(1, min(500, int(page_size or DEFAULT_PAGE_SIZE)))
        position = parse_cursor(cursor)
        shape = {"inventory": self._inventory_records, "products": list, "orders": list}[stream]
        if ids:
            search = {"id_in": [str(i) for i in ids]}
            for _, records in self.client.pages(PATHS[stream], search=search, sort="id asc", per_page=per_page):
                yield Page(shape(records), cursor, done=len(records) < per_page)
            return
        search = {"updated_at_gteq": position["updated_at"]} if position.get("updated_at") else None
        before = self.client.requests_made
        for _, records in self.client.pages(
            PATHS[stream], search=search, sort="updated_at asc,id asc", per_page=per_page
        ):
            done = len(records) < per_page
            fresh = [r for r in records if _after(r, position)]
            if records:
                last = records[-1]
                position = {"updated_at": last.get("updated_at"), "id": last.get("id")}
            out = shape(fresh)
            spent, before = self.client.requests_made - before, self.client.requests_made
            yield Page(out, json.dumps(position) if position else cursor, done=done, requests=max(1, spent))

    def _inventory_records(self, items: list[dict]) -> list[dict]:
        """One record per item (all warehouses together), or per item and warehouse when configured."""
        if not self.per_warehouse:
            return [{**item, "warehouse": dict(ALL_WAREHOUSES)} for item in items]
        records = []
        for item in items:
            rows = self.client.request("GET", f"/api/v2/items/{item['id']}/warehouse_quantities") or []
            if isinstance(rows, dict):  # the spec declares one object; accept both shapes
                rows = [rows]
            for row in rows:
                warehouse = row.get("warehouse") or {"id": row.get("warehouse_id"), "name": ""}
                records.append(
                    {
                        **item,
                        "quantity": row.get("quantity"),
                        "projected_quantity": row.get("projected_quantity"),
                        "sellable_quantity": row.get("sellable_quantity"),
                        "warehouse": {"id": str(warehouse.get("id")), "name": warehouse.get("name") or ""},
                    }
                )
        return records
