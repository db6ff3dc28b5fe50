"""The Whiplash sandbox's orders: list, count, get, create (409 on a duplicate originator, the create
knobs) and update (refused once the order can no longer be edited)."""

from __future__ import annotations

import json
import time

from connectors.sandbox import Request, Response
from connectors.whiplash.order_rules import order_editable
from connectors.whiplash.sandbox.data import ORDER_FIELDS, STATUS_NAMES, _now
from connectors.whiplash.sandbox.search import _matches


class WhiplashOrders:
    """`/api/v2/orders` and `/_sandbox/orders`."""

    @staticmethod
    def _resolve_order(order: dict, attribute: str):
        if attribute.startswith("originator_"):
            return order["originator"].get(attribute[len("originator_") :])
        return order.get(attribute)

    def list_orders(self, request: Request) -> Response:
        with self.lock:
            orders = list(self.orders.values())
            if self.stale_searches and "search" in request.query:
                self.stale_searches -= 1  # a lagging search index: the newest orders are not found yet
                return Response.json([])
        return self._page(request, orders, self._resolve_order, lambda o: o)

    def count_orders(self, request: Request) -> Response:
        with self.lock:
            orders = list(self.orders.values())
        search = json.loads(request.query.get("search") or "{}")
        return Response.json({"count": sum(1 for o in orders if _matches(o, search, self._resolve_order))})

    def all_orders(self, request: Request) -> Response:
        with self.lock:
            return Response.json([self._order_summary(o) for o in self.orders.values()])

    def get_order(self, request: Request) -> Response:
        order = self._order(request.params["id"])
        if order is None:
            return Response.json({"message": "Order not found"}, 404)
        return Response.json(order)

    def _order(self, order_id) -> dict | None:
        try:
            return self.orders.get(int(order_id))
        except (TypeError, ValueError):
            return None

    def _order_items(self, order_id: int, lines) -> tuple[list[dict] | None, str | None]:
        if not isinstance(lines, list) or not lines:
            return None, "Validation failed: Order items can't be blank"
        built = []
        for position, line in enumerate(lines):
            if not isinstance(line, dict):
                return None, f"Validation failed: order_items_attributes[{position}] must be an object"
            quantity = line.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                return None, f"Validation failed: order_items_attributes[{position}] quantity must be greater than 0"
            item = None
            if line.get("item_id") is not None:
                item = self._order_item_lookup(line["item_id"])
            elif line.get("sku"):
                item_id = self.items_by_sku.get(str(line["sku"]))
                item = self.items.get(item_id) if item_id else None
                if item is None and not self.strict_skus:
                    item = self._add_item(
                        {
                            "id": max(self.items, default=1000) + 1,
                            "sku": str(line["sku"]),
                            "title": line.get("description") or str(line["sku"]),
                            "name": line.get("description") or str(line["sku"]),
                            "price": line.get("price"),
                            "active": True,
                            "available": False,
                            "warehouse_quantities": {1: 0, 2: 0},
                            "created_at": _now(),
                            "updated_at": _now(),
                        }
                    )
            else:
                return None, f"Validation failed: order_items_attributes[{position}] needs a sku or an item_id"
            if item is None:
                return None, f"Validation failed: Item with sku {line.get('sku') or line.get('item_id')!r} not found"
            built.append(
                {
                    "id": order_id * 100 + position + 1,
                    "order_id": order_id,
                    "item_id": item["id"],
                    "sku": item["sku"],
                    "quantity": quantity,
                    "price": line.get("price"),
                    "description": line.get("description") or item["title"],
                    "packed": 0,
                    "available": item["quantity"] >= quantity,
                }
            )
        return built, None

    def _order_item_lookup(self, item_id):
        try:
            return self.items.get(int(item_id))
        except (TypeError, ValueError):
            return None

    def create_order(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return Response.json({"message": "Malformed JSON body"}, 400)
        if not isinstance(body, dict):
            return Response.json({"message": "The body must be a JSON object"}, 422)
        if not body.get("shipping_address_1"):
            return Response.json({"message": "Validation failed: Shipping address 1 can't be blank"}, 422)
        originator = body.get("originator_attributes") or {}
        original_id = str(originator.get("original_id") or "") or None
        with self.lock:
            if self.fail_next_create:
                return self.error_response(self.fail_next_create.pop(0))  # refused before storing anything
            if original_id and original_id in self.orders_by_originator:
                self.counters["order_conflicts"] += 1
                existing = self.orders_by_originator[original_id]
                return Response.json(
                    {"message": f"Conflict: order {existing} already has originator original_id {original_id!r}"},
                    409,
                )
            order_id = self.next_order_id
            items, error = self._order_items(order_id, body.get("order_items_attributes"))
            if error:
                return Response.json({"message": error}, 422)
            self.next_order_id += 1
            stamp = _now()
            order = {
                "id": order_id,
                "humanize_id": f"WL-{order_id}",
                "customer_id": 1021,
                "warehouse_id": 1,
                "status": 100,
                "status_name": STATUS_NAMES[100],
                "created_at": stamp,
                "updated_at": stamp,
                "shipped_on": None,
                "tracking": [],
                "tracking_links": [],
                "packages": [],
                "is_workable": True,
                "items_updateable": True,
                **{name: body.get(name) for name in ORDER_FIELDS},
                "order_items": items,
                "originator": {
                    "id": order_id + 900000,
                    "provider": "api",
                    "original_id": original_id,
                    "group_id": originator.get("group_id"),
                    "originated_type": "Order",
                },
            }
            self.orders[order_id] = order
            if original_id:
                self.orders_by_originator[original_id] = order_id
            self.counters["orders_created"] += 1
            status = self.create_response_status.pop(0) if self.create_response_status else 201
        if status != 201:
            return self.error_response(status)  # stored, but the answer says otherwise (a gateway failure)
        if self.create_response_delay_ms:
            time.sleep(float(self.create_response_delay_ms) / 1000)  # accepted; the answer comes late
        return Response.json(order, 201)

    def update_order(self, request: Request) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return Response.json({"message": "Malformed JSON body"}, 400)
        with self.lock:
            order = self._order(request.params["id"])
            if order is None:
                return Response.json({"message": "Order not found"}, 404)
            if not order_editable(order["status"]):
                return Response.json(
                    {"message": f"Order {order['id']} is {order['status_name']} and can no longer be updated"}, 422
                )
            if "order_items_attributes" in body:
                items, error = self._order_items(order["id"], body["order_items_attributes"])
                if error:
                    return Response.json({"message": error}, 422)
                order["order_items"] = items
            for name in ORDER_FIELDS:
                if name in body:
                    order[name] = body[name]
            order["updated_at"] = _now()
            self.counters["order_updates"] += 1
            return Response.json(order)
