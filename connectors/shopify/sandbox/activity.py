"""The Shopify sandbox's living world: now and then a merchant edits stock in the admin, and the level
change it shares with the webhook sender."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from connectors.shopify.sandbox.data import _iso, _numeric


class ShopifyActivity:
    """Activity rounds and the level changes they make."""

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
