"""Plan mode, guarded writes and current state of the Whiplash `orders` writer stream.

- `plan(records)`: the writer's own lookup by originator (`originator_original_id_in`, 50 keys a
  request) and its own comparison: no order → `create`; an order with the same compared fields and
  lines → `unchanged`; differences → `update` with a field-level diff while Whiplash still allows edits,
  else `error` (the ConflictError the writer would raise). `state` is a fingerprint of the order as read.
- `guarded_write(records, expected)`: looks the orders up again and refuses (ConflictError, code
  "changed") every record whose order no longer matches its fingerprint (or that now has an order where
  the plan saw none), then writes the rest with the normal writer. Whiplash has no compare-and-set, so
  an edit landing between this lookup and the write is the one window left; it is a lookup, not a guess.
- `current_state()`: every order (id, originator key, status), 500 a page, within the rate limit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from connectors.base import ConflictError, ConnectorError, PlannedWrite, StateRecord, WriteResult
from connectors.whiplash.client import WhiplashClient
from connectors.whiplash.order_rules import order_editable
from connectors.whiplash.writer import COMPARED_FIELDS, ORDERS_PATH, OrdersWriter, _lines, _same

STATE_PAGE = 500


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def fingerprint(order: dict | None) -> str | None:
    """What the writer compares, as Whiplash holds it now; None for no order."""
    if not order:
        return None
    shape = {
        "id": order.get("id"),
        "status": order.get("status"),
        "fields": {f: _text(order.get(f)) for f in COMPARED_FIELDS},
        "lines": _lines(order.get("order_items")),
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def _order_from_state(record: StateRecord) -> dict:
    return record.values.get("order") or {}


class OrdersPlanner:
    def __init__(self, client: WhiplashClient):
        self.client = client
        self.writer = OrdersWriter(client)

    def _existing(self, keys: list[str], state: dict | None) -> dict[str, dict]:
        if state:
            by_source = {r.source_key: _order_from_state(r) for r in state.values() if r.source_key}
            found = {k: by_source[k] for k in keys if k in by_source}
            missing = [k for k in keys if k not in by_source]
        else:
            found, missing = {}, keys
        if missing:
            found.update(self.writer._lookup_many(missing))
        return found

    def plan(self, records: list[dict], keys: list, state: dict | None = None) -> list[PlannedWrite]:
        planned: list[PlannedWrite | None] = [None] * len(records)
        prepared = []
        for index, record in enumerate(records):
            key = keys[index] if index < len(keys) and keys[index] else None
            try:
                prepared.append((index, *self.writer._prepare(record, key)))
            except ConnectorError as exc:
                planned[index] = PlannedWrite(str(key or ""), "error", error=exc)
        existing = self._existing([key for _, key, _ in prepared], state)
        for index, key, payload in prepared:
            planned[index] = self._compare(key, payload, existing.get(key))
            if planned[index].action == "create":
                existing[key] = {"id": None, "planned": True}  # a repeated key later in the batch updates
        return [p for p in planned if p is not None]

    @staticmethod
    def _compare(key: str, payload: dict, order: dict | None) -> PlannedWrite:
        if order is not None and order.get("planned"):
            return PlannedWrite(key, "update", diff={"(same key twice)": [None, key]}, state=None)
        if order is None:
            diff = {f: [None, payload[f]] for f in COMPARED_FIELDS if f in payload and _text(payload[f])}
            diff["lines"] = [None, _lines(payload.get("order_items_attributes"))]
            return PlannedWrite(key, "create", diff=diff, state=None, values={"destination": None})
        values = {"destination": order.get("status_name") or order.get("status")}
        destination_id = str(order.get("id"))
        diff = {
            f: [order.get(f), payload[f]]
            for f in COMPARED_FIELDS
            if f in payload and not _same(payload[f], order.get(f))
        }
        old_lines, new_lines = _lines(order.get("order_items")), _lines(payload.get("order_items_attributes"))
        if old_lines != new_lines:
            diff["lines"] = [old_lines, new_lines]
        state = fingerprint(order)
        if not diff:
            return PlannedWrite(key, "unchanged", destination_id, state=state, values=values)
        status = int(order.get("status") or 0)
        if not order_editable(status) or ("lines" in diff and not order.get("items_updateable")):
            error = ConflictError(
                f"Whiplash order {order.get('id')} for {key} is already {order.get('status_name') or status} and "
                f"can no longer be changed (differs in: {', '.join(sorted(diff))}).",
                details={"order_id": order.get("id"), "status": status, "changed": sorted(diff)},
            )
            return PlannedWrite(key, "error", destination_id, diff=diff, state=state, values=values, error=error)
        return PlannedWrite(key, "update", destination_id, diff=diff, state=state, values=values)

    def guarded_write(self, records: list[dict], keys: list, expected: list) -> list[WriteResult]:
        keys = [str(k) for k in keys]
        existing = self.writer._lookup_many(keys)
        results: dict[int, WriteResult] = {}
        allowed = []
        for index, key in enumerate(keys):
            now = fingerprint(existing.get(key))
            wanted = expected[index] if index < len(expected) else None
            if now != wanted:
                order = existing.get(key) or {}
                results[index] = WriteResult(
                    False,
                    key,
                    destination_id=str(order["id"]) if order.get("id") else None,
                    error=ConflictError(
                        f"Whiplash order for {key} changed since it was read "
                        + ("(it now exists)" if wanted is None else "(or was deleted)" if not order else "")
                        + ": not overwritten. Plan or reconcile again to see the new values.",
                        code="changed",
                        details={"order_id": order.get("id")},
                    ),
                )
            else:
                allowed.append(index)
        written = self.writer.write([records[i] for i in allowed], [keys[i] for i in allowed]) if allowed else []
        for index, result in zip(allowed, written, strict=True):
            results[index] = result
        return [results[i] for i in range(len(keys))]

    def current_state(self, *, page_size: int | None = None) -> Iterator[list[StateRecord]]:
        per_page = max(1, min(int(page_size or STATE_PAGE), STATE_PAGE))
        for _, orders in self.client.pages(ORDERS_PATH, sort="id asc", per_page=per_page):
            yield [
                StateRecord(
                    key=str(order.get("id")),
                    label=f"Order {order.get('id')}" + (f" ({order['order_orig']})" if order.get("order_orig") else ""),
                    values={
                        "status": order.get("status"),
                        "status_name": order.get("status_name"),
                        "shipped": int(order.get("status") or 0) >= 300,
                        "order": order,
                    },
                    source_key=str((order.get("originator") or {}).get("original_id") or ""),
                )
                for order in orders
            ]
