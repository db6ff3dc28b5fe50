"""The `orders` writer: Whiplash order payloads (the Shipment write mapping's output) → POST /api/v2/orders.

Idempotency without an Idempotency-Key header: every order carries the stable Ekyam key of its source
shipment in `originator_attributes.original_id`. Before creating, the batch's keys are looked up
(`originator_original_id_in`); after any ambiguous failure (timeout, connection lost, 5xx, 409) the one
key is looked up again (`originator_original_id_eq`) before anything is re-sent. A 409 means the order
exists: it is looked up again a bounded number of times (a lagging search index) and, when still not
found, the record is a transient error to retry later, never a conflict. A re-run, a retry or a worker
killed mid-batch therefore never creates a second order.

A key that already has an order is an update: unchanged payloads are reported `unchanged`; changes are
PUT while Whiplash still allows edits (before the order is printed); afterwards the record gets a
ConflictError that names the order, its status and the fields that differ.
"""

from __future__ import annotations

import copy
import json

from connectors.base import ConflictError, ConnectorError, RateLimitError, TransientError, ValidationError, WriteResult
from connectors.whiplash.client import WhiplashClient
from connectors.whiplash.order_rules import order_editable

ORDERS_PATH = "/api/v2/orders"
LOOKUP_CHUNK = 50
CREATE_ATTEMPTS = 2
# After a 409 on create: lookups of the key, waiting 0.25, 0.5, 1 s between them (under 2 s in all).
CONFLICT_LOOKUPS = 4
CONFLICT_LOOKUP_WAIT = 0.25
COMPARED_FIELDS = (
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
    "shipping_method_id",
    "shop_shipping_method_text",
    "public_note",
    "ship_notes",
)


def _same(a, b) -> bool:
    """Equal as Whiplash stores them: None and "" alike, numbers and their strings alike."""
    a = "" if a is None else str(a).strip()
    b = "" if b is None else str(b).strip()
    return a == b


def _lines(lines) -> list[tuple[str, int]]:
    out = []
    for line in lines or []:
        if isinstance(line, dict):
            out.append((str(line.get("sku") or f"item:{line.get('item_id')}"), int(line.get("quantity") or 0)))
    return sorted(out)


def _summary(order: dict) -> dict:
    return {
        "id": order.get("id"),
        "status": order.get("status"),
        "status_name": order.get("status_name"),
        "original_id": (order.get("originator") or {}).get("original_id"),
    }


class OrdersWriter:
    def __init__(self, client: WhiplashClient):
        self.client = client

    def write(self, records: list[dict], keys: list) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(records)
        prepared: list[tuple[int, str, dict]] = []
        for index, record in enumerate(records):
            key = keys[index] if index < len(keys) and keys[index] else None
            try:
                prepared.append((index, *self._prepare(record, key)))
            except ConnectorError as exc:
                results[index] = WriteResult(False, str(key or ""), error=exc, action="skipped")
        try:
            existing = self._lookup_many([key for _, key, _ in prepared])
        except ConnectorError:
            existing = None  # look each one up on its own below; one failed search must not sink the batch
        for index, key, payload in prepared:
            try:
                known = existing.get(key) if existing is not None else self._lookup(key)
                result = self._update(known, payload, key) if known else self._create(payload, key)
                order = result.response.pop("_order", None) if result.response else None
                if order is not None and existing is not None:
                    existing[key] = order  # a repeated key later in the batch updates, never re-creates
                results[index] = result
            except ConnectorError as exc:
                results[index] = WriteResult(False, key, error=exc)
        return [r for r in results if r is not None]

    @staticmethod
    def _prepare(record, key) -> tuple[str, dict]:
        if not isinstance(record, dict):
            raise ValidationError(f"The order payload must be an object, got {type(record).__name__}.")
        payload = copy.deepcopy(record)
        originator = payload.get("originator_attributes") or {}
        key = key or originator.get("original_id")
        if not key:
            raise ValidationError("No stable key for this order: context['keys'] or originator_attributes.original_id.")
        payload["originator_attributes"] = {**originator, "original_id": str(key)}
        lines = payload.get("order_items_attributes")
        if not isinstance(lines, list) or not lines:
            raise ValidationError("The order has no lines (order_items_attributes is empty).")
        for position, line in enumerate(lines):
            if not isinstance(line, dict) or not (line.get("sku") or line.get("item_id")):
                raise ValidationError(f"Line {position + 1} has no SKU.")
        return str(key), payload

    # --- lookups ---------------------------------------------------------------------------
    def _lookup_many(self, keys: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            search = {"originator_original_id_in": chunk}
            for _, orders in self.client.pages(ORDERS_PATH, search=search, sort="id asc", per_page=LOOKUP_CHUNK * 2):
                for order in orders:
                    original = str((order.get("originator") or {}).get("original_id") or "")
                    found.setdefault(original, order)  # the oldest wins if Whiplash ever held two
        return found

    def _lookup(self, key: str) -> dict | None:
        orders = self.client.request(
            "GET",
            ORDERS_PATH,
            params={"search": json.dumps({"originator_original_id_eq": key}), "sort": "id asc", "per_page": 5},
        )
        return orders[0] if orders else None

    def _lookup_after_conflict(self, key: str) -> dict | None:
        for attempt in range(CONFLICT_LOOKUPS):
            if attempt:
                self.client.sleep(CONFLICT_LOOKUP_WAIT * 2 ** (attempt - 1))
            order = self._lookup(key)
            if order is not None:
                return order
        return None

    # --- create ----------------------------------------------------------------------------
    def _create(self, payload: dict, key: str) -> WriteResult:
        attempt = 0
        while True:
            attempt += 1
            try:
                order = self.client.request("POST", ORDERS_PATH, json_body=payload, retry=False)
            except RateLimitError:
                raise  # a 429 means "not processed": nothing to reconcile
            except ConflictError:
                # 409 on create: Whiplash already holds an order with this originator (a lagging search
                # missed it, or a concurrent writer made it). Not a conflict: look it up again, a bounded
                # number of times, and treat it as the existing order.
                order = self._lookup_after_conflict(key)
                if order is None:
                    raise TransientError(
                        f"Whiplash answered 409 for {key} (an order with this originator exists) but its search "
                        f"did not find the order after {CONFLICT_LOOKUPS} lookups; the record is retried later.",
                        status=409,
                        code="lookup_lag",
                    ) from None
                return self._update(order, payload, key)
            except TransientError as exc:
                # Ambiguous: Whiplash may have stored the order before the failure reached us.
                order = self._lookup(key)
                if order is not None:
                    return self._result(order, "created", recovered_after=exc.code)
                if attempt >= CREATE_ATTEMPTS:
                    raise
                continue
            return self._result(order, "created")

    @staticmethod
    def _result(order: dict, action: str, **extra) -> WriteResult:
        return WriteResult(
            True,
            str((order.get("originator") or {}).get("original_id") or ""),
            destination_id=str(order.get("id")),
            action=action,
            response={**_summary(order), **extra, "_order": order},
        )

    # --- update ----------------------------------------------------------------------------
    def _update(self, order: dict, payload: dict, key: str) -> WriteResult:
        changes = {f: payload[f] for f in COMPARED_FIELDS if f in payload and not _same(payload[f], order.get(f))}
        lines_changed = _lines(payload.get("order_items_attributes")) != _lines(order.get("order_items"))
        if not changes and not lines_changed:
            return self._result(order, "unchanged")
        status = int(order.get("status") or 0)
        changed = sorted(changes) + (["lines"] if lines_changed else [])
        if not order_editable(status) or (lines_changed and not order.get("items_updateable")):
            raise ConflictError(
                f"Whiplash order {order.get('id')} for {key} is already {order.get('status_name') or status} and "
                f"can no longer be changed (differs in: {', '.join(changed)}). Change it in Whiplash if needed.",
                details={"order_id": order.get("id"), "status": status, "changed": changed},
            )
        body = dict(changes)
        if lines_changed:
            body["order_items_attributes"] = payload["order_items_attributes"]
        try:
            updated = self.client.request("PUT", f"{ORDERS_PATH}/{order['id']}", json_body=body)
        except ValidationError as exc:
            raise ConflictError(
                f"Whiplash refused to update order {order.get('id')} for {key}: {exc.message}",
                status=exc.status,
                details={"order_id": order.get("id"), "changed": changed},
            ) from None
        result = self._result(updated or order, "updated")
        result.response["changed"] = changed
        return result
