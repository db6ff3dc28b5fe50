"""The Shopify sandbox's seeded world and its state: the app's token and secret, the shop's scopes and
locations, the seeded products and inventory items (from the demo catalog), the query-cost bucket, the
knobs, and what is kept across a restart."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

from connectors.demo_catalog import demo_catalog

ACCESS_TOKEN = "shpat_ekyam_sandbox_token"
APP_SECRET = "shopify-sandbox-app-secret"
SHOP_DOMAIN = "ekyam-demo.myshopify.com"
ALL_SCOPES = ["read_products", "read_inventory", "write_inventory", "read_locations", "read_orders"]
SEED_EPOCH = datetime(2025, 12, 1, 14, 0, 0, tzinfo=UTC)
MAX_QUERY_COST = 1000
VALID_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric(gid: str) -> int:
    return int(str(gid).rsplit("/", 1)[-1].split("?")[0])


def _encode_cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str | None):
    if not cursor:
        return None
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))


class CostBucket:
    def __init__(self, size: float, restore_rate: float):
        self.size = float(size)
        self.restore_rate = float(restore_rate)
        self.available = float(size)
        self.updated = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.size, self.available + (now - self.updated) * self.restore_rate)
        self.updated = now

    def status(self) -> dict:
        return {
            "maximumAvailable": self.size,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }


class ShopifyState:
    """The sandbox's state: seeding on reset, the state page, the knobs, the state file."""

    def reset(self) -> None:
        self.bucket = CostBucket(*self.default_bucket)
        self.scopes = list(ALL_SCOPES)
        self.webhook_url = ""
        self.webhook_secret = APP_SECRET
        self.concurrent_change: dict | None = None
        self.counters = {"queries": 0, "throttled": 0, "mutations": 0, "user_errors": 0, "unauthorized": 0}
        self.quantities_set: list[dict] = []
        self.user_errors: list[dict] = []
        self.webhooks_sent: list[dict] = []
        self.locations = [
            {
                "id": "gid://shopify/Location/1001",
                "name": "Main Warehouse",
                "isActive": True,
                "fulfillsOnlineOrders": True,
                "address": {
                    "address1": "123 Main St",
                    "address2": None,
                    "city": "Ottawa",
                    "provinceCode": "ON",
                    "zip": "K2P 1L4",
                    "countryCode": "CA",
                },
            },
            {
                "id": "gid://shopify/Location/1002",
                "name": "Pop-up Store",
                "isActive": True,
                "fulfillsOnlineOrders": False,
                "address": {
                    "address1": "9 Market Sq",
                    "address2": None,
                    "city": "Toronto",
                    "provinceCode": "ON",
                    "zip": "M5V 2T6",
                    "countryCode": "CA",
                },
            },
            {
                "id": "gid://shopify/Location/1003",
                "name": "Closed Outlet",
                "isActive": False,
                "fulfillsOnlineOrders": False,
                "address": {
                    "address1": "1 Old Rd",
                    "address2": None,
                    "city": "Hamilton",
                    "provinceCode": "ON",
                    "zip": "L8P 4R5",
                    "countryCode": "CA",
                },
            },
        ]
        self.products: list[dict] = []
        self.items: dict[str, dict] = {}
        for index, entry in enumerate(demo_catalog(self.seed, self.record_count)):
            stamp = _iso(SEED_EPOCH + timedelta(minutes=index))
            item_id = f"gid://shopify/InventoryItem/{9001 + index}"
            levels = {"gid://shopify/Location/1001": self._level(entry["quantity"], stamp)}
            if index % 2 == 0:
                levels["gid://shopify/Location/1002"] = self._level(entry["quantity"] // 4, stamp)
            self.items[item_id] = {
                "id": item_id,
                "sku": entry["sku"],
                "tracked": True,
                "updatedAt": stamp,
                "levels": levels,
            }
            title, _, size = entry["title"].rpartition(" ")
            self.products.append(
                {
                    "id": f"gid://shopify/Product/{7001 + index}",
                    "title": title,
                    "handle": title.lower().replace(" ", "-") + f"-{index}",
                    "status": "ACTIVE",
                    "vendor": "Ekyam Demo",
                    "productType": title.split(" ")[0],
                    "tags": ["demo"],
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "variants": [
                        {
                            "id": f"gid://shopify/ProductVariant/{8001 + index}",
                            "title": size,
                            "sku": entry["sku"],
                            "barcode": entry["barcode"],
                            "price": entry["price"],
                            "selectedOptions": [{"name": "Size", "value": size}],
                            "inventoryItem": item_id,
                        }
                    ],
                }
            )

    @staticmethod
    def _level(available: int, stamp: str) -> dict:
        return {"available": available, "on_hand": available + 2, "committed": 2, "incoming": 0, "updatedAt": stamp}

    def item_by_sku(self, sku: str) -> dict | None:
        return next((i for i in self.items.values() if i["sku"] == sku), None)

    def state(self) -> dict:
        with self.lock:
            return {
                "requests": self.request_count,
                **self.counters,
                "bucket": self.bucket.status(),
                "quantities_set": self.quantities_set[-200:],
                "user_errors": self.user_errors[-100:],
                "webhooks_sent": self.webhooks_sent[-50:],
                "levels": {
                    item["sku"]: {loc: lvl["available"] for loc, lvl in item["levels"].items()}
                    for item in list(self.items.values())[:200]
                },
            }

    def set_extra_knobs(self, data: dict) -> None:
        if "bucket_size" in data or "restore_rate" in data:
            self.bucket = CostBucket(
                data.get("bucket_size", self.bucket.size), data.get("restore_rate", self.bucket.restore_rate)
            )
        for name in ("scopes", "webhook_url", "webhook_secret", "concurrent_change"):
            if name in data:
                setattr(self, name, data[name])
        if data.get("delete_sku"):
            item = self.item_by_sku(data["delete_sku"])
            if item:
                del self.items[item["id"]]
        if "set_available" in data:  # {"sku", "location", "available"}: someone edits stock in the admin
            change = data["set_available"]
            item = self.item_by_sku(change["sku"])
            item["levels"][change["location"]]["available"] = int(change["available"])

    # --- the state file --------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {"items": list(self.items.values()), "products": self.products, "counters": self.counters}

    def restore(self, data: dict) -> None:
        if "items" not in data:
            return
        self.items = {item["id"]: item for item in data["items"]}
        self.products = data["products"]
        self.counters.update(data.get("counters") or {})
