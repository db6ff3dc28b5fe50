"""The Whiplash sandbox's living world: a round of a warehouse's day (stock received or picked, the oldest
order in processing shipped with tracking), and the state changes it shares with the webhook sender."""

from __future__ import annotations

import json

from connectors.whiplash.sandbox.data import STATUS_NAMES, WAREHOUSES, _now


class WhiplashActivity:
    """Activity rounds and the changes they make."""

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
