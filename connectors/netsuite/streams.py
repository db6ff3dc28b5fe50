"""The NetSuite streams: what they read, and the fields the mapping dropdowns offer."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import StreamField, StreamSpec


@dataclass(frozen=True)
class RecordStream:
    """How one stream is listed (SuiteQL table + filter) and fetched (record type of the REST record API)."""

    name: str
    record_type: str
    table: str
    table_filter: str


RECORD_STREAMS = {
    "products": RecordStream("products", "inventoryItem", "item", "itemtype = 'InvtPart'"),
    "shipments": RecordStream("shipments", "itemFulfillment", "transaction", "type = 'ItemShip'"),
}


def _f(path: str, type_: str, label: str, sample=None) -> StreamField:
    return StreamField(path=path, type=type_, label=label, sample=sample)


PRODUCT_FIELDS = (
    _f("id", "string", "Internal ID", "1501"),
    _f("externalId", "string", "External ID", "SKU-TSHIRT-BLK-M"),
    _f("itemId", "string", "Item Name/Number (SKU)", "TSHIRT-BLK-M"),
    _f("displayName", "string", "Display Name", "T-Shirt Black Medium"),
    _f("description", "string", "Description", "Cotton crew neck"),
    _f("salesDescription", "string", "Sales Description"),
    _f("upcCode", "string", "UPC Code", "012345678905"),
    _f("itemType.id", "string", "Item Type", "InvtPart"),
    _f("isInactive", "boolean", "Inactive", False),
    _f("rate", "number", "Price", 19.99),
    _f("cost", "number", "Purchase Price", 6.5),
    _f("averageCost", "number", "Average Cost", 6.42),
    _f("weight", "number", "Item Weight", 0.4),
    _f("weightUnit.refName", "string", "Weight Unit", "lb"),
    _f("manufacturer", "string", "Manufacturer"),
    _f("vendorName", "string", "Vendor Name"),
    _f("class.refName", "string", "Class", "Apparel"),
    _f("quantityAvailable", "number", "Available (all locations)", 120),
    _f("quantityOnHand", "number", "On Hand (all locations)", 130),
    _f("quantityCommitted", "number", "Committed (all locations)", 10),
    _f("quantityOnOrder", "number", "On Order (all locations)", 0),
    _f("createdDate", "datetime", "Date Created", "2025-01-10T17:02:00Z"),
    _f("lastModifiedDate", "datetime", "Last Modified", "2025-12-19T15:23:00Z"),
    _f("price.items[*].priceLevelName", "string", "Price Levels"),
    _f("price.items[*].price", "number", "Prices by level"),
    _f("locations.items[*].location.refName", "string", "Location"),
    _f("locations.items[*].quantityAvailable", "number", "Available by location"),
    _f("locations.items[*].quantityOnHand", "number", "On hand by location"),
)

SHIPMENT_FIELDS = (
    _f("id", "string", "Internal ID", "9001"),
    _f("externalId", "string", "External ID"),
    _f("tranId", "string", "Ref No.", "IF-100231"),
    _f("tranDate", "date", "Date", "2025-12-19"),
    _f("shipStatus.id", "string", "Status (A picked, B packed, C shipped)", "C"),
    _f("shipStatus.refName", "string", "Status name", "Shipped"),
    _f("shippedDate", "date", "Shipped Date", "2025-12-19"),
    _f("memo", "string", "Memo"),
    _f("createdFrom.id", "string", "Created From (sales order id)", "7001"),
    _f("createdFrom.refName", "string", "Created From", "Sales Order #SO-104512"),
    _f("custbody_order_number", "string", "Sales order number", "SO-104512"),
    _f("entity.id", "string", "Customer id", "311"),
    _f("entity.refName", "string", "Customer", "Jane Doe"),
    _f("custbody_customer_email", "string", "Customer e-mail", "jane@example.com"),
    _f("location.refName", "string", "Location", "Main Warehouse"),
    _f("shipMethod.refName", "string", "Ship Via", "UPS Ground"),
    _f("shipCarrier.refName", "string", "Shipping Carrier", "UPS"),
    _f("shippingCost", "number", "Shipping Cost", 8.95),
    _f("shipIsResidential", "boolean", "Residential", True),
    _f("shippingAddress.addressee", "string", "Ship To: Addressee", "Jane Doe"),
    _f("shippingAddress.attention", "string", "Ship To: Attention"),
    _f("shippingAddress.addr1", "string", "Ship To: Address 1", "12 Market St"),
    _f("shippingAddress.addr2", "string", "Ship To: Address 2", "Apt 4"),
    _f("shippingAddress.city", "string", "Ship To: City", "Austin"),
    _f("shippingAddress.state", "string", "Ship To: State", "TX"),
    _f("shippingAddress.zip", "string", "Ship To: Zip", "78701"),
    _f("shippingAddress.country.id", "string", "Ship To: Country", "US"),
    _f("shippingAddress.addrPhone", "string", "Ship To: Phone", "512-555-0100"),
    _f("item.items[*].line", "integer", "Line"),
    _f("item.items[*].itemName", "string", "Line: Item (SKU)", "TSHIRT-BLK-M"),
    _f("item.items[*].description", "string", "Line: Description"),
    _f("item.items[*].quantity", "number", "Line: Quantity", 2),
    _f("item.items[*].rate", "number", "Line: Rate", 19.99),
    _f("package.items[*].packageTrackingNumber", "string", "Package: Tracking Number", "1Z999AA10123456784"),
    _f("package.items[*].packageWeight", "number", "Package: Weight (lb)", 1.2),
    _f("createdDate", "datetime", "Date Created"),
    _f("lastModifiedDate", "datetime", "Last Modified"),
)

STREAM_SPECS = (
    StreamSpec(
        name="products",
        label="Inventory items",
        standard="product",
        direction="read",
        incremental=True,
        fields=PRODUCT_FIELDS,
        description="Inventory items with price levels and per-location quantities, incremental by lastModifiedDate.",
    ),
    StreamSpec(
        name="shipments",
        label="Item fulfillments",
        standard="shipment",
        direction="read",
        incremental=True,
        fields=SHIPMENT_FIELDS,
        description="Item fulfillments with address, item lines and packages, incremental by lastModifiedDate.",
    ),
)
