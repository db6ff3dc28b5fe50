"""Whiplash (Ryder E-commerce by Whiplash, Rydership API v2): orders out, inventory/products/orders in."""

from __future__ import annotations

from functools import cached_property

from connectors.base import (
    AuthError,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    StreamField,
    StreamSpec,
    TransientError,
)
from connectors.registry import register
from connectors.whiplash import webhooks
from connectors.whiplash.client import DEFAULT_BASE_URL, WhiplashClient
from connectors.whiplash.planning import OrdersPlanner
from connectors.whiplash.streams import Readers, cursor_from_date
from connectors.whiplash.writer import OrdersWriter

ITEM_FIELDS = (
    StreamField("id", "integer", "Item id", 1058),
    StreamField("sku", "string", "SKU", "TSHIRT-BLK-M"),
    StreamField("title", "string", "Title", "T-Shirt Black M"),
    StreamField("name", "string", "Name"),
    StreamField("description", "string", "Description"),
    StreamField("scancode", "string", "Scancode (barcode)", "012345678905"),
    StreamField("ean", "string", "EAN"),
    StreamField("vendor", "string", "Vendor"),
    StreamField("price", "string", "Price", "19.99"),
    StreamField("weight", "string", "Weight (lb)", "0.40"),
    StreamField("length", "string", "Length (in)"),
    StreamField("width", "string", "Width (in)"),
    StreamField("height", "string", "Height (in)"),
    StreamField("active", "boolean", "Active", True),
    StreamField("quantity", "integer", "Available quantity", 171),
    StreamField("published_quantity", "integer", "Published quantity (incl. inbound)", 171),
    StreamField("created_at", "datetime", "Created at"),
    StreamField("updated_at", "datetime", "Updated at", "2026-03-13T11:39:21.000-04:00"),
)
INVENTORY_FIELDS = (
    *(f for f in ITEM_FIELDS if f.path in {"id", "sku", "title", "quantity", "published_quantity", "updated_at"}),
    StreamField("sellable_quantity", "integer", "Sellable quantity (per warehouse)"),
    StreamField("projected_quantity", "integer", "Projected quantity (per warehouse)"),
    StreamField("warehouse.id", "string", "Warehouse id", "1"),
    StreamField("warehouse.name", "string", "Warehouse name", "Ann Arbor"),
)
ORDER_READ_FIELDS = (
    StreamField("id", "integer", "Order id", 50001),
    StreamField("humanize_id", "string", "Order number"),
    StreamField("status", "integer", "Status code", 300),
    StreamField("status_name", "string", "Status", "Shipped"),
    StreamField("originator.original_id", "string", "Originator original id (Ekyam key)"),
    StreamField("shipped_on", "datetime", "Shipped on"),
    StreamField("ship_method", "string", "Ship method", "UPS Ground"),
    StreamField("tracking", "array", "Tracking numbers"),
    StreamField("tracking_links", "array", "Tracking links"),
    StreamField("email", "string", "Email"),
    StreamField("shipping_name", "string", "Ship-to name"),
    StreamField("shipping_address_1", "string", "Ship-to address 1"),
    StreamField("shipping_city", "string", "Ship-to city"),
    StreamField("shipping_country", "string", "Ship-to country"),
    StreamField("order_items[*].sku", "array", "Line SKUs"),
    StreamField("order_items[*].quantity", "array", "Line quantities"),
    StreamField("updated_at", "datetime", "Updated at"),
)
ORDER_WRITE_FIELDS = (
    StreamField("email", "string", "Email"),
    StreamField("shipping_name", "string", "Ship-to name"),
    StreamField("shipping_company", "string", "Ship-to company"),
    StreamField("shipping_address_1", "string", "Address line 1"),
    StreamField("shipping_address_2", "string", "Address line 2"),
    StreamField("shipping_city", "string", "City"),
    StreamField("shipping_state", "string", "State / region"),
    StreamField("shipping_zip", "string", "Postal code"),
    StreamField("shipping_country", "string", "Country (ISO 2)"),
    StreamField("shipping_phone", "string", "Phone"),
    StreamField("residential", "boolean", "Residential"),
    StreamField("shipping_method_id", "integer", "Whiplash shipping method id"),
    StreamField("shop_shipping_method_text", "string", "Shipping method text"),
    StreamField("order_orig", "string", "Original order number"),
    StreamField("public_note", "string", "Public note"),
    StreamField("ship_notes", "string", "Shipping notes"),
    StreamField("order_items_attributes[*].sku", "array", "Line SKU"),
    StreamField("order_items_attributes[*].quantity", "array", "Line quantity"),
    StreamField("order_items_attributes[*].price", "array", "Line price"),
    StreamField("order_items_attributes[*].description", "array", "Line description"),
)


@register
class WhiplashConnector(Connector):
    slug = "whiplash"
    name = "Whiplash"
    description = "Fulfillment by Whiplash (Rydership API v2): send shipments as orders, read inventory and tracking."
    logo = "connectors/logos/whiplash.svg"
    default_concurrency = 4
    sandbox_class = "connectors.whiplash.sandbox.WhiplashSandbox"
    credential_fields = (
        CredentialField(
            "base_url",
            "API base URL",
            "https://www.getwhiplash.com for production, https://sandbox.getwhiplash.com for Whiplash's sandbox.",
            default=DEFAULT_BASE_URL,
            placeholder=DEFAULT_BASE_URL,
            address=True,
        ),
        CredentialField(
            "auth_flow",
            "Authorization",
            "Client credentials (app access) or a refresh token from the authorization-code login.",
            default="client_credentials",
            choices=(("client_credentials", "Client credentials"), ("refresh_token", "Refresh token")),
        ),
        CredentialField("client_id", "Client id (application id)"),
        CredentialField("client_secret", "Client secret", "Also verifies Whiplash's webhook signatures.", secret=True),
        CredentialField(
            "refresh_token",
            "Refresh token",
            "Needed for the refresh-token flow; rotates on use.",
            secret=True,
            required=False,
        ),
        CredentialField(
            "scope", "Scope", "app_manage or app_read for client credentials.", required=False, default="app_manage"
        ),
        CredentialField(
            "customer_id", "Customer id", "Sent as X-CUSTOMER-ID when the token sees several.", required=False
        ),
        CredentialField(
            "requests_per_second",
            "Request rate limit",
            "Requests per second (default 10).",
            required=False,
            default="10",
        ),
        CredentialField(
            "inventory_per_warehouse",
            "Inventory per warehouse",
            "Read one inventory level per warehouse instead of one total per item.",
            required=False,
            default="false",
            choices=(("false", "Total per item"), ("true", "Per warehouse")),
        ),
    )
    streams = (
        StreamSpec(
            "orders",
            "Orders",
            "shipment",
            "write",
            fields=ORDER_WRITE_FIELDS,
            description="Creates one Whiplash order per shipment, idempotent on originator original_id.",
        ),
        StreamSpec(
            "inventory",
            "Inventory",
            "inventory_level",
            "read",
            incremental=True,
            fields=INVENTORY_FIELDS,
            description="Available quantity per item (or per item and warehouse).",
        ),
        StreamSpec("products", "Items", "product", "read", incremental=True, fields=ITEM_FIELDS),
        StreamSpec(
            "orders",
            "Orders (status and tracking)",
            "shipment",
            "read",
            incremental=True,
            fields=ORDER_READ_FIELDS,
            description="Order status and tracking, to flow back to the shipment.",
        ),
    )

    @cached_property
    def client(self) -> WhiplashClient:
        client = WhiplashClient(
            self.credentials,
            http=self._http,
            on_credentials_changed=self.on_credentials_changed,
            concurrency_limiter=self.concurrency_limiter,
        )
        # Token fetches under the connection's cross-process lock, after re-reading stored tokens.
        client.tokens.coordinate(credentials_lock=self.credentials_lock, reload_credentials=self.reload_credentials)
        return client

    # --- sandbox ---------------------------------------------------------------------------
    @classmethod
    def sandbox_credentials(cls, sandbox_url: str) -> dict[str, str]:
        from connectors.whiplash.sandbox import CLIENT_ID, CLIENT_SECRET

        return {
            "base_url": sandbox_url,
            "auth_flow": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "app_manage",
            "requests_per_second": "10",
            "inventory_per_warehouse": "false",
        }

    # --- behaviour -------------------------------------------------------------------------
    def check(self) -> CheckResult:
        try:
            self.client.request("GET", "/api/v2/items", params={"page": 1, "per_page": 1})
        except AuthError as exc:
            reason = {
                "invalid_client": "invalid_credentials",
                "invalid_grant": "refresh_token_rejected",
                "missing_refresh_token": "refresh_token_missing",
            }.get(exc.vendor_code or "", "forbidden" if exc.code == "forbidden" else "invalid_credentials")
            return CheckResult.failure(reason, exc.message)
        except TransientError as exc:
            reason = {"unreachable": "unreachable", "timeout": "timeout", "rate_limit": "rate_limited"}.get(
                exc.code, "vendor_error"
            )
            return CheckResult.failure(reason, exc.message)
        except ConnectorError as exc:
            return CheckResult.failure("vendor_error", exc.message)
        return CheckResult.success(f"Authenticated with Whiplash at {self.client.base_url}.")

    def read(self, stream, *, cursor=None, page_size=None, ids=None):
        per_warehouse = str(self.credentials.get("inventory_per_warehouse") or "").lower() in ("1", "true", "yes")
        return Readers(self.client, per_warehouse=per_warehouse).read(
            stream, cursor=cursor, page_size=page_size, ids=ids
        )

    def cursor_from_date(self, stream, since):
        if not self.stream(stream, "read").incremental:
            return None
        return cursor_from_date(since)

    def write(self, stream, records, *, context=None):
        self.require_writer_stream(stream)
        context = context or {}
        if context.get("expected") is not None:
            return OrdersPlanner(self.client).guarded_write(
                list(records), list(context.get("keys") or []), list(context["expected"])
            )
        return OrdersWriter(self.client).write(list(records), list(context.get("keys") or []))

    def plan(self, stream, records, *, context=None):
        self.require_writer_stream(stream)
        context = context or {}
        return OrdersPlanner(self.client).plan(list(records), list(context.get("keys") or []), context.get("state"))

    def current_state(self, stream, *, page_size=None):
        self.require_writer_stream(stream)
        return OrdersPlanner(self.client).current_state(page_size=page_size)

    def verify_webhook(self, headers, body):
        return webhooks.verify(
            headers,
            body,
            client_secret=self.credentials.get("client_secret", ""),
            client_id=self.credentials.get("client_id", ""),
        )
