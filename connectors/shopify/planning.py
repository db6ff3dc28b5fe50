"""Plan mode and current state of the Shopify `inventory` writer stream.

- `plan(records)`: the same resolution (SKU → inventory item, location name → location) and the same
  `ItemLevelAt` reads the compare-and-set uses, then per record: `unchanged` (Shopify already has the
  quantity), `update` (diff `{"quantity": [current, planned]}`) or `error` (no such SKU, not stocked at
  the location, not a whole number…). `state` is the quantity read, handed back as `expected` on apply.
  Given `state` (from `current_state`), the planner takes items and quantities from it instead of reading.
- `current_state()`: every inventory item's available quantity at every location, one `InventoryLevels`
  query per page sized to stay under Shopify's 1,000-point single-query maximum (cost ≈ 3 + locations
  points per item); the client's cost model paces the pages to the shop's bucket.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import ConnectorError, PermanentError, PlannedWrite, StateRecord
from connectors.shopify import queries
from connectors.shopify.writer import InventoryWriter

MAX_QUERY_COST = 1000


def state_key(item_id: str, location_id: str) -> str:
    return f"{item_id}@{location_id}"


def current_state(writer: InventoryWriter, *, page_size: int | None = None) -> Iterator[list[StateRecord]]:
    locations = writer.locations()
    levels_first = max(1, min(len(locations), 50))
    fits = (MAX_QUERY_COST - 2) // (3 + levels_first)
    first = max(1, min(int(page_size or 250), fits, 250))
    names = {loc["id"]: loc.get("name") or loc["id"] for loc in locations}
    after = None
    while True:
        variables = {"first": first, "after": after, "query": None, "levelsFirst": levels_first}
        data = writer.client.execute("InventoryLevels", queries.INVENTORY_LEVELS, variables)
        connection = data.get("inventoryItems") or {}
        batch = []
        for item in connection.get("nodes") or []:
            for level in (item.get("inventoryLevels") or {}).get("nodes") or []:
                location_id = (level.get("location") or {}).get("id") or ""
                quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
                batch.append(
                    StateRecord(
                        key=state_key(item["id"], location_id),
                        label=f"{item.get('sku')} @ {names.get(location_id, location_id)}",
                        values={
                            "sku": item.get("sku"),
                            "item_id": item["id"],
                            "location_id": location_id,
                            "available": quantities.get("available"),
                        },
                        scope=location_id,
                    )
                )
        yield batch
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def plan(writer: InventoryWriter, records: list[dict], keys: list, state: dict | None = None) -> list[PlannedWrite]:
    planned: dict[int, PlannedWrite] = {}
    entries = []
    for index, record in enumerate(records):
        key = str(keys[index]) if index < len(keys) and keys[index] else ""
        try:
            entries.append(writer._entry(index, key, record))
        except ConnectorError as exc:
            planned[index] = PlannedWrite(key, "error", error=exc)

    def fail(entry, error: ConnectorError) -> None:
        planned[entry.index] = PlannedWrite(
            entry.key or entry.sku, "error", error=error, values={"source": entry.quantity}
        )

    known_items: dict[str, str] = {}
    if state:
        for record in state.values():
            known_items.setdefault(record.values.get("sku"), record.values.get("item_id"))
    try:
        for entry in entries:
            entry.item_id = known_items.get(entry.sku)
            if state and not entry.item_id:  # the listing is the whole shop: no need to look it up
                fail(entry, PermanentError(f"SKU {entry.sku} has no inventory item in Shopify.", code="not_found"))
        writer._resolve_items([e for e in entries if not e.item_id and e.index not in planned], fail)
        writer._resolve_locations([e for e in entries if e.index not in planned], fail)
    except ConnectorError as exc:
        for entry in entries:
            if entry.index not in planned:
                fail(entry, exc)
        return [planned[i] for i in sorted(planned)]
    pending = [e for e in entries if e.index not in planned]
    unread = []
    for entry in pending:
        known = state.get(state_key(*entry.pair)) if state else None
        if known is not None:
            entry.current = known.values.get("available")
        elif state and entry.sku in known_items:
            entry.current = None  # the listing has the item but no level there: not stocked
        else:
            unread.append(entry)
    if unread:
        writer._read_current(unread)
    for entry in pending:
        destination_id = state_key(*entry.pair)
        values = {"source": entry.quantity, "destination": entry.current}
        if entry.current is None:
            error = PermanentError(
                f"SKU {entry.sku} is not stocked at Shopify location {entry.location_id}: activate it there first.",
                code="not_stocked",
            )
            planned[entry.index] = PlannedWrite(
                entry.key or entry.sku, "error", destination_id, error=error, values=values
            )
        elif entry.current == entry.quantity:
            planned[entry.index] = PlannedWrite(
                entry.key or entry.sku, "unchanged", destination_id, state=entry.current, values=values
            )
        else:
            planned[entry.index] = PlannedWrite(
                entry.key or entry.sku,
                "update",
                destination_id,
                diff={"quantity": [entry.current, entry.quantity]},
                state=entry.current,
                values=values,
            )
    return [planned[i] for i in sorted(planned)]
