"""The Shopify sandbox's one mutation, `inventorySetQuantities`: compare-and-set, atomic (any userError
applies nothing), with the 2024-10 userError codes and the `concurrent_change` knob."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from connectors.shopify.sandbox.data import VALID_REASONS, _iso


class ShopifyInventoryMutation:
    """The SetQuantities operation."""

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
