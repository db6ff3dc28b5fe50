"""Shopify (Admin GraphQL API): inventory levels out, products, locations and inventory in."""

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
from connectors.shopify import planning, queries, webhooks
from connectors.shopify.client import DEFAULT_API_VERSION, ShopifyClient
from connectors.shopify.streams import Readers, cursor_from_date
from connectors.shopify.writer import InventoryWriter

REQUIRED_SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")

PRODUCT_FIELDS = (
    StreamField("id", "string", "Variant id", "gid://shopify/ProductVariant/49148385"),
    StreamField("sku", "string", "SKU", "TSHIRT-BLK-M"),
    StreamField("title", "string", "Variant title", "Black / M"),
    StreamField("barcode", "string", "Barcode", "012345678905"),
    StreamField("price", "string", "Price", "19.99"),
    StreamField("inventoryQuantity", "integer", "Inventory quantity"),
    StreamField("options", "object", "Options", {"Size": "M"}),
    StreamField("inventoryItem.id", "string", "Inventory item id"),
    StreamField("product.id", "string", "Product id"),
    StreamField("product.title", "string", "Product title", "T-Shirt"),
    StreamField("product.handle", "string", "Handle"),
    StreamField("product.status", "string", "Status", "ACTIVE"),
    StreamField("product.vendor", "string", "Vendor"),
    StreamField("product.productType", "string", "Product type"),
    StreamField("product.tags", "array", "Tags"),
    StreamField("updatedAt", "datetime", "Updated at"),
)
LOCATION_FIELDS = (
    StreamField("id", "string", "Location id", "gid://shopify/Location/655441491"),
    StreamField("name", "string", "Name", "Main Warehouse"),
    StreamField("isActive", "boolean", "Active"),
    StreamField("fulfillsOnlineOrders", "boolean", "Fulfills online orders"),
    StreamField("address.address1", "string", "Address"),
    StreamField("address.city", "string", "City"),
    StreamField("address.provinceCode", "string", "Province"),
    StreamField("address.zip", "string", "Postal code"),
    StreamField("address.countryCode", "string", "Country"),
)
INVENTORY_FIELDS = (
    StreamField("sku", "string", "SKU"),
    StreamField("inventoryItemId", "string", "Inventory item id"),
    StreamField("location.id", "string", "Location id"),
    StreamField("location.name", "string", "Location name"),
    StreamField("available", "integer", "Available"),
    StreamField("on_hand", "integer", "On hand"),
    StreamField("committed", "integer", "Committed"),
    StreamField("incoming", "integer", "Incoming"),
    StreamField("updatedAt", "datetime", "Updated at"),
)
INVENTORY_WRITE_FIELDS = (
    StreamField("sku", "string", "SKU (resolved to the inventory item)"),
    StreamField("quantity", "integer", "Available quantity to set"),
    StreamField("location_id", "string", "Location id (GID or number)"),
    StreamField("location_name", "string", "Location name"),
)


@register
class ShopifyConnector(Connector):
    slug = "shopify"
    name = "Shopify"
    description = "Shopify storefront (Admin GraphQL API): set available inventory, read products and locations."
    logo = "connectors/logos/shopify.svg"
    default_concurrency = 4
    sandbox_class = "connectors.shopify.sandbox.ShopifySandbox"
    credential_fields = (
        CredentialField(
            "shop_domain",
            "Shop domain",
            "your-store.myshopify.com",
            placeholder="your-store.myshopify.com",
            address=True,
        ),
        CredentialField("access_token", "Admin API access token", "shpat_… from the custom app.", secret=True),
        CredentialField("app_secret", "App client secret", "Verifies webhook signatures.", secret=True, required=False),
        CredentialField(
            "previous_app_secret",
            "Previous app secret",
            "Also accepted for webhooks while a secret rotation settles (up to an hour).",
            secret=True,
            required=False,
        ),
        CredentialField(
            "api_version", "API version", "Pinned Admin API version.", default=DEFAULT_API_VERSION, required=False
        ),
        CredentialField(
            "default_location", "Default location", "Name or id; blank = the first active location.", required=False
        ),
        CredentialField(
            "adjustment_reason",
            "Adjustment reason",
            "Reason recorded on Shopify's inventory history.",
            required=False,
            default="correction",
        ),
    )
    streams = (
        StreamSpec(
            "inventory",
            "Inventory levels",
            "inventory_level",
            "write",
            fields=INVENTORY_WRITE_FIELDS,
            description="Sets the available quantity per SKU and location (compare-and-set).",
        ),
        StreamSpec("products", "Products and variants", "product", "read", incremental=True, fields=PRODUCT_FIELDS),
        StreamSpec("locations", "Locations", "location", "read", fields=LOCATION_FIELDS),
        StreamSpec(
            "inventory", "Inventory levels", "inventory_level", "read", incremental=True, fields=INVENTORY_FIELDS
        ),
    )

    @cached_property
    def client(self) -> ShopifyClient:
        return ShopifyClient(self.credentials, http=self._http, concurrency_limiter=self.concurrency_limiter)

    @cached_property
    def writer(self) -> InventoryWriter:
        return InventoryWriter(
            self.client,
            default_location=self.credentials.get("default_location") or "",
            reason=self.credentials.get("adjustment_reason") or "correction",
        )

    @classmethod
    def sandbox_credentials(cls, sandbox_url: str) -> dict[str, str]:
        from connectors.shopify.sandbox import ACCESS_TOKEN, APP_SECRET

        return {
            "shop_domain": sandbox_url,
            "access_token": ACCESS_TOKEN,
            "app_secret": APP_SECRET,
            "api_version": DEFAULT_API_VERSION,
            "default_location": "Main Warehouse",
            "adjustment_reason": "correction",
        }

    def check(self) -> CheckResult:
        try:
            data = self.client.execute("ShopCheck", queries.SHOP_CHECK)
        except AuthError as exc:
            return CheckResult.failure("invalid_credentials" if exc.code == "auth" else "forbidden", exc.message)
        except TransientError as exc:
            return CheckResult.failure(
                "unreachable" if exc.code in ("unreachable", "timeout") else "vendor_error", exc.message
            )
        except ConnectorError as exc:
            return CheckResult.failure("not_found" if exc.code == "not_found" else "vendor_error", exc.message)
        shop = data.get("shop") or {}
        granted = {s.get("handle") for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or []}
        missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
        if missing:
            return CheckResult.failure(
                "missing_scopes",
                f"The Shopify app lacks the access scopes {', '.join(missing)}: add them to the app and reinstall it.",
                missing_scopes=missing,
                shop=shop.get("myshopifyDomain"),
            )
        return CheckResult.success(
            f"Connected to {shop.get('name') or 'the shop'} ({shop.get('myshopifyDomain')}), "
            f"API {self.client.api_version}.",
            shop=shop.get("myshopifyDomain"),
            scopes=sorted(granted),
        )

    def read(self, stream, *, cursor=None, page_size=None, ids=None):
        return Readers(self.client).read(stream, cursor=cursor, page_size=page_size, ids=ids)

    def cursor_from_date(self, stream, since):
        if not self.stream(stream, "read").incremental:
            return None  # locations are read whole
        return cursor_from_date(since)

    def write(self, stream, records, *, context=None):
        self.require_writer_stream(stream)
        context = context or {}
        return self.writer.write(
            list(records),
            list(context.get("keys") or []),
            run_id=context.get("run_id"),
            expected=context.get("expected"),
        )

    def plan(self, stream, records, *, context=None):
        self.require_writer_stream(stream)
        context = context or {}
        return planning.plan(self.writer, list(records), list(context.get("keys") or []), context.get("state"))

    def current_state(self, stream, *, page_size=None):
        self.require_writer_stream(stream)
        return planning.current_state(self.writer, page_size=page_size)

    def verify_webhook(self, headers, body):
        secrets = [self.credentials.get("app_secret", ""), self.credentials.get("previous_app_secret", "")]
        return webhooks.verify(headers, body, secrets=secrets)
