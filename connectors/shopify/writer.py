"""The `inventory` writer: inventory levels → `inventorySetQuantities` (name "available"), compare-and-set.

A record (the InventoryLevel write mapping's output) is `{"sku", "quantity", "location_id"?,
"location_name"?}`; without a location the connection's default location is used (the one named in
its settings, else the shop's first active location).

1. SKU → inventory item id and location name/id → location GID, resolved through the API and cached
   (Django cache), looked up again on a miss.
2. Quantities equal to what this connection last wrote successfully are skipped (`unchanged`): only
   changes are sent.
3. The current quantities are read and sent as `compareQuantity`; items already at the target are
   `unchanged`. Batches hold at most 250 quantities.
4. The mutation is atomic in Shopify: a userError on one quantity applies none. The failing entries
   become record errors with a clear message, a stale compare is re-read and retried once, and the
   rest is sent again.

With `expected` (one quantity per record as a plan or reconciliation read it, None: not stocked), steps 2
and 3 are replaced by that value: it is sent as `compareQuantity` as is, and a stale compare is not
re-read but refused (ConflictError, code "changed"), so an edit made since it was read is never
overwritten. Plan mode (`connectors/shopify/planning.py`) uses the same resolution and reads.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.core.cache import cache

from connectors.base import ConflictError, ConnectorError, PermanentError, ValidationError, WriteResult
from connectors.shopify import queries
from connectors.shopify.client import ShopifyClient

BATCH_LIMIT = 250
SKU_LOOKUP_CHUNK = 50
READ_CHUNK = 250  # ItemLevelAt costs about 3 points per id: 750, under the 1000-point query maximum
SKU_TTL = 24 * 3600
WRITTEN_TTL = 30 * 24 * 3600
MAX_ROUNDS = 4
USER_ERROR_MESSAGES = {
    "COMPARE_QUANTITY_STALE": "The quantity in Shopify changed while we were writing (stale compare), even after one re-read and retry.",
    "COMPARE_QUANTITY_REQUIRED": "Shopify requires the current quantity to compare against.",
    "ITEM_NOT_STOCKED_AT_LOCATION": "SKU {sku} is not stocked at Shopify location {location}: activate it there in Shopify first.",
    "INVALID_INVENTORY_ITEM": "Shopify has no inventory item {item} for SKU {sku} any more (deleted?); it will be looked up again.",
    "INVALID_LOCATION": "Shopify location {location} does not exist or is not active.",
    "INVALID_QUANTITY_NEGATIVE": "Quantity {quantity} for SKU {sku} is negative; Shopify only accepts 0 or more.",
    "INVALID_QUANTITY_TOO_HIGH": "Quantity {quantity} for SKU {sku} is above Shopify's maximum of 1,000,000,000.",
    "INVALID_QUANTITY_TOO_LOW": "Quantity {quantity} for SKU {sku} is too low for Shopify.",
    "INVALID_REASON": "Shopify does not accept the adjustment reason {reason!r}: use one of its documented reasons (e.g. correction).",
    "INVALID_REFERENCE_DOCUMENT": "Shopify rejected the reference document URI {reference!r}.",
    "INVALID_NAME": "Shopify rejected the quantity name (only 'available' and 'on_hand' are settable).",
    "NON_MUTABLE_INVENTORY_ITEM": "SKU {sku} does not track inventory in Shopify, so its quantity cannot be set.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": "SKU {sku} appears twice for the same location in one write.",
}


class Entry:
    """One record on its way: resolved ids, compare quantity, outcome."""

    def __init__(self, index: int, key: str, sku: str, quantity: int, location_ref: str | None):
        self.index = index
        self.key = key
        self.sku = sku
        self.quantity = quantity
        self.location_ref = location_ref
        self.item_id: str | None = None
        self.location_id: str | None = None
        self.current: int | None = None
        self.stale_retried = False
        self.guarded = False  # compare against `current` as given (a plan's read): stale means refuse

    @property
    def pair(self) -> tuple[str, str]:
        return (self.item_id or "", self.location_id or "")


class InventoryWriter:
    def __init__(self, client: ShopifyClient, *, default_location: str = "", reason: str = "correction"):
        self.client = client
        self.default_location = default_location
        self.reason = reason or "correction"
        self.namespace = "shopify:" + hashlib.sha256(client.base_url.encode()).hexdigest()[:16]

    # --- caches ----------------------------------------------------------------------------
    def _sku_key(self, sku: str) -> str:
        return f"{self.namespace}:sku:{hashlib.sha256(sku.encode()).hexdigest()[:24]}"

    def _written_key(self, pair: tuple[str, str]) -> str:
        return f"{self.namespace}:written:{pair[0].rsplit('/', 1)[-1]}:{pair[1].rsplit('/', 1)[-1]}"

    def _remember_written(self, entry: Entry) -> None:
        cache.set(self._written_key(entry.pair), entry.quantity, WRITTEN_TTL)

    # --- main ------------------------------------------------------------------------------
    def write(self, records: list[dict], keys: list, run_id=None, expected: list | None = None) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        entries: list[Entry] = []
        for index, record in enumerate(records):
            key = str(keys[index]) if index < len(keys) and keys[index] else ""
            try:
                entry = self._entry(index, key, record)
            except ConnectorError as exc:
                results[index] = WriteResult(False, key, error=exc, action="skipped")
                continue
            if expected is not None:
                entry.guarded = True
                state = expected[index] if index < len(expected) else None
                entry.current = state.get("available") if isinstance(state, dict) else state
            entries.append(entry)

        def fail(entry: Entry, error: ConnectorError) -> None:
            results[entry.index] = WriteResult(False, entry.key or entry.sku, error=error)

        def done(entry: Entry, action: str, **response) -> None:
            results[entry.index] = WriteResult(
                True,
                entry.key or entry.sku,
                destination_id=f"{entry.item_id}@{entry.location_id}",
                action=action,
                response={"sku": entry.sku, "quantity": entry.quantity, **response},
            )

        try:
            self._resolve_items(entries, fail)
            self._resolve_locations(entries, fail)
        except ConnectorError as exc:  # the lookups themselves failed: every pending record says why
            for entry in entries:
                if entry.index not in results:
                    fail(entry, exc)
            return [results[i] for i in sorted(results)]
        pending = [e for e in entries if e.index not in results]
        pending = self._drop_superseded(pending, done)
        if expected is None:
            pending = [e for e in pending if not self._unchanged_since_last_write(e, done)]
        reference = f"gid://ekyam/WorkflowRun/{quote(str(run_id), safe='')}" if run_id is not None else None
        for start in range(0, len(pending), BATCH_LIMIT):
            self._write_batch(pending[start : start + BATCH_LIMIT], reference, fail, done)
        return [results[i] for i in sorted(results)]

    @staticmethod
    def _entry(index: int, key: str, record) -> Entry:
        if not isinstance(record, dict):
            raise ValidationError(f"The inventory record must be an object, got {type(record).__name__}.")
        sku = str(record.get("sku") or "").strip()
        if not sku:
            raise ValidationError("The inventory record has no SKU.")
        quantity = record.get("quantity", record.get("available"))
        if isinstance(quantity, bool) or quantity is None:
            raise ValidationError(f"SKU {sku} has no quantity.")
        try:
            quantity = int(str(quantity).strip())
        except ValueError:
            raise ValidationError(f"SKU {sku} has a quantity that is not a whole number: {quantity!r}.") from None
        location = record.get("location_id") or record.get("location_name") or None
        return Entry(index, key, sku, quantity, str(location) if location else None)

    def _drop_superseded(self, entries: list[Entry], done) -> list[Entry]:
        """Two records for one SKU and location in a batch: the later one is the truth."""
        last = {e.pair: e for e in entries}
        for entry in entries:
            if last[entry.pair] is not entry:
                done(entry, "skipped", superseded_by=last[entry.pair].index)
        return [e for e in entries if last[e.pair] is e]

    def _unchanged_since_last_write(self, entry: Entry, done) -> bool:
        if cache.get(self._written_key(entry.pair)) == entry.quantity:
            done(entry, "unchanged", reason="same quantity as the last successful write")
            return True
        return False

    # --- resolution ------------------------------------------------------------------------
    def _resolve_items(self, entries: list[Entry], fail) -> None:
        missing = set()
        for entry in entries:
            entry.item_id = cache.get(self._sku_key(entry.sku))
            if entry.item_id is None:
                missing.add(entry.sku)
        found = self.lookup_skus(sorted(missing)) if missing else {}
        for entry in entries:
            if entry.item_id is None:
                entry.item_id = found.get(entry.sku)
                if entry.item_id is None:
                    fail(entry, PermanentError(f"SKU {entry.sku} has no inventory item in Shopify.", code="not_found"))

    def lookup_skus(self, skus: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(skus), SKU_LOOKUP_CHUNK):
            chunk = skus[start : start + SKU_LOOKUP_CHUNK]
            query = " OR ".join("sku:'{}'".format(s.replace("\\", "\\\\").replace("'", "\\'")) for s in chunk)
            data = self.client.execute(
                "InventoryItemsBySku", queries.INVENTORY_ITEMS_BY_SKU, {"first": len(chunk) * 2, "query": query}
            )
            for node in (data.get("inventoryItems") or {}).get("nodes") or []:
                if node.get("sku") in chunk and node["sku"] not in found:
                    found[node["sku"]] = node["id"]
                    cache.set(self._sku_key(node["sku"]), node["id"], SKU_TTL)
        return found

    def locations(self, refresh: bool = False) -> list[dict]:
        key = f"{self.namespace}:locations"
        cached = None if refresh else cache.get(key)
        if cached is not None:
            return cached
        nodes, after = [], None
        while True:
            data = self.client.execute("Locations", queries.LOCATIONS, {"first": 50, "after": after})
            page = data.get("locations") or {}
            nodes.extend(page.get("nodes") or [])
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                break
            after = info.get("endCursor")
        cache.set(key, nodes, SKU_TTL)
        return nodes

    def _find_location(self, ref: str | None, locations: list[dict]) -> str | None:
        ref = (ref or self.default_location or "").strip()
        if not ref:
            active = [loc for loc in locations if loc.get("isActive")]
            return active[0]["id"] if active else None
        numeric = ref.rsplit("/", 1)[-1]
        for location in locations:
            if location["id"] == ref or location["id"].rsplit("/", 1)[-1] == numeric:
                return location["id"]
        for location in locations:
            if location.get("name", "").strip().lower() == ref.lower():
                return location["id"]
        return None

    def _resolve_locations(self, entries: list[Entry], fail) -> None:
        pending = [e for e in entries if e.item_id]
        if not pending:
            return
        locations = self.locations()
        unresolved = []
        for entry in pending:
            entry.location_id = self._find_location(entry.location_ref, locations)
            if entry.location_id is None:
                unresolved.append(entry)
        if unresolved:  # a location created since we cached the list: look again once
            locations = self.locations(refresh=True)
            for entry in unresolved:
                entry.location_id = self._find_location(entry.location_ref, locations)
                if entry.location_id is None:
                    where = entry.location_ref or self.default_location or "(default)"
                    fail(
                        entry,
                        PermanentError(f"Shopify has no location {where!r} for SKU {entry.sku}.", code="not_found"),
                    )

    # --- compare-and-set -------------------------------------------------------------------
    def _read_current(self, entries: list[Entry]) -> None:
        """The persisted available quantity of each (item, location): one cheap query per location and
        up to READ_CHUNK items (about 3 cost points per item)."""
        by_location: dict[str, list[str]] = {}
        for entry in entries:
            by_location.setdefault(entry.location_id, [])
            if entry.item_id not in by_location[entry.location_id]:
                by_location[entry.location_id].append(entry.item_id)
        levels: dict[tuple[str, str], int] = {}
        for location_id, ids in by_location.items():
            for start in range(0, len(ids), READ_CHUNK):
                variables = {"ids": ids[start : start + READ_CHUNK], "locationId": location_id}
                data = self.client.execute("ItemLevelAt", queries.ITEM_LEVEL_AT, variables)
                for node in data.get("nodes") or []:
                    level = (node or {}).get("inventoryLevel") or {}
                    quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
                    if "available" in quantities:
                        levels[(node["id"], location_id)] = quantities["available"]
        for entry in entries:
            entry.current = levels.get(entry.pair)

    def _write_batch(self, batch: list[Entry], reference: str | None, fail, done) -> None:
        pending = list(batch)
        reread = True
        for _round in range(MAX_ROUNDS):
            if not pending:
                return
            if reread:
                self._read_current([e for e in pending if not e.guarded])
                still = []
                for entry in pending:
                    if entry.current is not None and entry.current == entry.quantity:
                        self._remember_written(entry)
                        done(entry, "unchanged", reason="Shopify already has this quantity")
                    else:
                        still.append(entry)
                pending = still
                if not pending:
                    return
            errors = self._mutate(pending, reference)
            if errors is None:
                for entry in pending:
                    self._remember_written(entry)
                    done(entry, "updated", previous=entry.current, reference=reference)
                return
            failed_indexes = set()
            reread = False
            for error in errors:
                position = _quantity_position(error.get("field"))
                targets = [pending[position]] if position is not None and position < len(pending) else list(pending)
                for entry in targets:
                    if entry.index in failed_indexes:
                        continue
                    code = error.get("code") or "ERROR"
                    if code == "COMPARE_QUANTITY_STALE" and entry.guarded:
                        failed_indexes.add(entry.index)
                        fail(entry, self._changed_since_read(entry, error))
                        continue
                    if code == "COMPARE_QUANTITY_STALE" and not entry.stale_retried:
                        entry.stale_retried = True
                        reread = True
                        continue
                    failed_indexes.add(entry.index)
                    if code == "INVALID_INVENTORY_ITEM":
                        cache.delete(self._sku_key(entry.sku))
                    fail(entry, self._user_error(code, error, entry, reference))
            pending = [e for e in pending if e.index not in failed_indexes]
        for entry in pending:
            fail(entry, ConflictError(f"SKU {entry.sku} could not be written after {MAX_ROUNDS} attempts."))

    def _mutate(self, entries: list[Entry], reference: str | None) -> list[dict] | None:
        payload = {
            "name": "available",
            "reason": self.reason,
            "ignoreCompareQuantity": False,
            "quantities": [
                {
                    "inventoryItemId": e.item_id,
                    "locationId": e.location_id,
                    "quantity": e.quantity,
                    # Not stocked there yet: compare against 0, and Shopify says ITEM_NOT_STOCKED_AT_LOCATION.
                    "compareQuantity": e.current if e.current is not None else 0,
                }
                for e in entries
            ],
        }
        if reference:
            payload["referenceDocumentUri"] = reference
        data = self.client.execute("SetQuantities", queries.SET_QUANTITIES, {"input": payload})
        result = data.get("inventorySetQuantities") or {}
        errors = result.get("userErrors") or []
        return errors or None

    @staticmethod
    def _changed_since_read(entry: Entry, error: dict) -> ConnectorError:
        return ConflictError(
            f"SKU {entry.sku}'s quantity in Shopify changed since it was read ({entry.current}): "
            f"not overwritten with {entry.quantity}. Reconcile or plan again to see the new value.",
            code="changed",
            vendor_code="COMPARE_QUANTITY_STALE",
            details={"field": error.get("field"), "expected": entry.current, "wanted": entry.quantity},
        )

    def _user_error(self, code: str, error: dict, entry: Entry, reference) -> ConnectorError:
        template = USER_ERROR_MESSAGES.get(code)
        if template:
            message = template.format(
                sku=entry.sku,
                item=entry.item_id,
                location=entry.location_id,
                quantity=entry.quantity,
                reason=self.reason,
                reference=reference,
            )
        else:
            message = f"Shopify refused SKU {entry.sku}: {error.get('message') or code}"
        kind = ConflictError if code == "COMPARE_QUANTITY_STALE" else ValidationError
        return kind(
            message, vendor_code=code, details={"field": error.get("field"), "shopify_message": error.get("message")}
        )


def _quantity_position(field) -> int | None:
    """["input", "quantities", "3", "compareQuantity"] → 3."""
    if isinstance(field, list) and len(field) >= 3 and field[1] == "quantities":
        try:
            return int(field[2])
        except (TypeError, ValueError):
            return None
    return None
