"""The Whiplash sandbox's seeded world and its state: credentials, warehouses, order statuses and fields,
the seeded items (from the demo catalog), the knobs, the rate-limit bucket, and what is kept across a restart."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from connectors.demo_catalog import demo_catalog

CLIENT_ID = "ekyam-sandbox-client"
CLIENT_SECRET = "whiplash-sandbox-client-secret"
AUTHORIZATION_CODE = "sandbox-code"
WAREHOUSES = [{"id": 1, "name": "Ann Arbor"}, {"id": 2, "name": "Reno"}]
LOCAL_TZ = timezone(timedelta(hours=-5))
SEED_EPOCH = datetime(2025, 12, 1, 9, 0, 0, tzinfo=LOCAL_TZ)
STATUS_NAMES = {
    30: "Shipped Externally",
    35: "Quote",
    40: "Cancelled",
    90: "Paused",
    100: "Processing",
    120: "Printed",
    150: "Picked",
    160: "Packed",
    300: "Shipped",
    350: "Delivered",
}
ORDER_FIELDS = (
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
    "order_type",
    "shipping_method_id",
    "shop_shipping_method_text",
    "order_orig",
    "public_note",
    "ship_notes",
    "gift",
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="milliseconds")


def _now() -> str:
    return _iso(datetime.now(LOCAL_TZ))


def _parse_time(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class TokenBucket:
    def __init__(self, rate: float):
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        if not self.rate:
            return True
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class WhiplashState:
    """The sandbox's state: seeding on reset, the state page, the knobs, the state file."""

    def reset(self) -> None:
        self.rate_limit = self.default_rate_limit
        self.bucket = TokenBucket(self.rate_limit)
        self.token_ttl = 7200
        self.create_response_delay_ms = 0
        self.strict_skus = False
        self.webhook_url = ""
        self.webhook_secret = CLIENT_SECRET
        self.stale_searches = 0
        self.create_response_status: list[int] = []
        self.fail_next_create: list[int] = []
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.counters = {
            "tokens_issued": 0,
            "refreshes": 0,
            "rejected_refreshes": 0,
            "rate_limited": 0,
            "orders_created": 0,
            "order_conflicts": 0,
            "order_updates": 0,
            "unauthorized": 0,
        }
        self.webhooks_sent: list[dict] = []
        self.items: dict[int, dict] = {}
        self.items_by_sku: dict[str, int] = {}
        for index, product in enumerate(demo_catalog(self.seed, self.record_count)):
            stamp = _iso(SEED_EPOCH + timedelta(minutes=index))
            split = product["quantity"] // 3
            self._add_item(
                {
                    "id": 1001 + index,
                    "sku": product["sku"],
                    "title": product["title"],
                    "name": product["title"],
                    "description": f"{product['title']} from the Ekyam demo catalog",
                    "price": product["price"],
                    "scancode": product["barcode"],
                    "weight": product["weight"],
                    "length": "10.0",
                    "width": "8.0",
                    "height": "2.0",
                    "active": True,
                    "available": product["quantity"] > 0,
                    "warehouse_quantities": {1: product["quantity"] - split, 2: split},
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        self.orders: dict[int, dict] = {}
        self.orders_by_originator: dict[str, int] = {}
        self.next_order_id = 50001

    def _add_item(self, item: dict) -> dict:
        item["quantity"] = sum(item["warehouse_quantities"].values())
        item["published_quantity"] = item["quantity"]
        self.items[item["id"]] = item
        self.items_by_sku[item["sku"]] = item["id"]
        return item

    def state(self) -> dict:
        with self.lock:
            orders = list(self.orders.values())
            return {
                "requests": self.request_count,
                **self.counters,
                "order_count": len(orders),
                "orders": [self._order_summary(o) for o in orders[-100:]],
                "webhooks_sent": self.webhooks_sent[-50:],
                "knobs": {
                    "rate_limit": self.rate_limit,
                    "token_ttl": self.token_ttl,
                    "create_response_delay_ms": self.create_response_delay_ms,
                    "strict_skus": self.strict_skus,
                    "webhook_url": self.webhook_url,
                },
            }

    @staticmethod
    def _order_summary(order: dict) -> dict:
        return {
            "id": order["id"],
            "original_id": order["originator"]["original_id"],
            "status": order["status"],
            "shipping_name": order.get("shipping_name"),
            "items": [{"sku": i["sku"], "quantity": i["quantity"]} for i in order["order_items"]],
        }

    def set_extra_knobs(self, data: dict) -> None:
        if "rate_limit" in data:
            self.rate_limit = float(data["rate_limit"] or 0)
            self.bucket = TokenBucket(self.rate_limit)
        for name in (
            "token_ttl",
            "create_response_delay_ms",
            "strict_skus",
            "webhook_url",
            "webhook_secret",
            "stale_searches",
            "create_response_status",
            "fail_next_create",
        ):
            if name in data:
                setattr(self, name, data[name])
        if data.get("revoke_tokens"):
            self.access_tokens.clear()

    # --- the state file --------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {
            "items": list(self.items.values()),
            "orders": list(self.orders.values()),
            "next_order_id": self.next_order_id,
            "counters": self.counters,
            # Tokens the portal holds stay valid across a restart (a refresh token works once).
            "access_tokens": self.access_tokens,
            "refresh_tokens": sorted(self.refresh_tokens),
        }

    def restore(self, data: dict) -> None:
        if "items" not in data:
            return
        self.items, self.items_by_sku = {}, {}
        for item in data["items"]:
            item["warehouse_quantities"] = {int(k): v for k, v in item["warehouse_quantities"].items()}
            self._add_item(item)
        self.orders = {int(o["id"]): o for o in data["orders"]}
        self.orders_by_originator = {
            str(o["originator"]["original_id"]): o["id"] for o in self.orders.values() if o["originator"]["original_id"]
        }
        self.next_order_id = int(data["next_order_id"])
        self.counters.update(data.get("counters") or {})
        self.access_tokens = {str(k): float(v) for k, v in (data.get("access_tokens") or {}).items()}
        self.refresh_tokens = set(data.get("refresh_tokens") or [])
