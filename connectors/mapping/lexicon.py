"""The word sets the ranking's evidence reads (`connectors.mapping.features`): which words make a field a
status flag, another party's key, a count rather than an amount, and so on. Data only, kept apart from the
scoring code so each set is easy to find and extend."""

EXCLUSIVE = {"email": "email", "url": "image_url", "gtin": "barcode", "tracking": "tracking_numbers"}
WEAK_ROLE_WORDS = {"to"}
TEXT_LEAVES = {"name", "email", "phone", "description", "company", "brand"}
# Fields a person reads and types: a generated key (UUID, long hex) is the record's technical id instead.
HUMAN_IDENTIFIERS = {"sku", "order_number", "shipment_number", "product_type", "brand"}
# Shapes distinctive enough to propose a field whose name shares no word with the target.
SHAPE_ONLY = {"country", "currency", "email", "gtin", "tracking"}
# Ancestors or words that make a field part of something other than an address or a party: the shipping
# *method's* name, a discount's or a fee's amount, a product's id inside a stock record.
NOT_A_PARTY = {"method", "service", "carrier", "rate", "option", "courier", "provider", "level", "via"}
ADJUSTMENTS = {"discount", "adjustment", "promotion", "coupon", "tax", "fee", "refund", "duty", "applied"}
ITEM_WORDS = {"product", "item", "variant", "sku", "article", "material"}
# A person or a secondary reference is no document number: `salesRepCode`, `externalReference`.
NOT_THE_NUMBER = {"status", "sale", "rep", "salesperson", "agent", "user", "employee", "external", "secondary"}
# Line quantities: what was shipped against what was ordered (or is still open).
SHIPPED_WORDS = {"ship", "fulfill", "fulfilled", "pick", "picked", "pack", "packed", "dispatch", "deliver"}
ORDERED_WORDS = {"order", "open", "backorder", "remain", "remaining", "cancel", "return", "refund", "request"}
# Words of a deadline or an estimate: `DespatchByDate`, `due_date`, `estimatedArrival` say when something
# should happen, not when it did.
DEADLINE_WORDS = {"by", "due", "deadline", "estimate", "estimated", "expected", "earliest", "latest", "promise"}
TIME_WORDS = {"date", "time", "timestamp", "at", "created", "updated", "modified", "on", "when"}
# A yes/no flag that says whether a product is live (`is_visible`, `archived`, `purchasing_disabled`,
# `IsSold`), unlike one about something else (`is_featured`, `is_free_shipping`, `IsTrackedAsInventory`).
STATUS_FLAGS = {
    "active",
    "inactive",
    "enable",
    "disable",
    "archive",
    "visible",
    "visibility",
    "hidden",
    "sellable",
    "sold",
    "publish",
    "delete",
    "discontinued",
    "purchasable",
    "available",
    "availability",
    "blocked",
    "live",
    "valid",
}
# Another party or thing whose id or name is no document number: `customer_id`, `store_name`, `items[*].name`.
OTHER_ENTITIES = {"customer", "buyer", "user", "store", "shop", "product", "item", "variant", "carrier", "warehouse"}
DOCUMENT_WORDS = {"order", "shipment", "fulfillment", "receipt", "document", "increment", "record", "invoice"}
VARIANT_WORDS = {"variant", "offer", "model", "seller", "merchant", "variation"}
STATUS_TEXT = {"message", "name", "description", "label", "text", "reference"}
# Words of statuses, as the standards' values and the usual vendors' ones say them.
STATUS_VALUE_WORDS = {
    "transit",
    "deliver",
    "delivered",
    "ship",
    "shipped",
    "cancel",
    "cancelled",
    "canceled",
    "pending",
    "pick",
    "picked",
    "pack",
    "packed",
    "return",
    "returned",
    "fail",
    "failure",
    "exception",
    "fulfil",
    "fulfilled",
    "active",
    "inactive",
    "archive",
    "archived",
    "draft",
}


COUNT_WORDS = {"quantity", "count", "weight", "number"}
MONEY_WORDS = {"total", "subtotal", "amount", "price", "cost", "value", "grand"}
SELLER_SIDE = {"seller", "private", "internal", "staff", "merchant", "admin"}
BUYER_SIDE = {"buyer", "customer", "public", "gift"}
STOCK_WORDS = {"inventory", "stock", "quantity"}
MAKERS = {"manufacturer", "vendor", "supplier", "mpn", "brand"}
CATEGORY_WORDS = {"category", "taxonomy"}
# A product's kind (physical/digital, simple/variable, goods/service), unlike its merchandise category.
KIND_WORDS = {"type", "kind"}
# Another thing whose name a product field may carry: `Category.name`, `Manufacturer.name`, `taxClass.name`.
NOT_THE_PRODUCT = {
    "category",
    "manufacturer",
    "brand",
    "vendor",
    "supplier",
    "warehouse",
    "location",
    "store",
    "shop",
    "tax",
    "ship",
    "carrier",
    "unit",
    "image",
    "tag",
    "option",
    "attribute",
    "channel",
    "customer",
}
# A negated kind of stock (`unallocatableQuantity`, `nonSellable`) is not that kind.
NEGATIONS = {"un", "non", "not", "unavailable", "unallocated", "unsellable"}
# Who sells to the merchant: their price is a cost.
PURCHASE_WORDS = {"vendor", "supplier", "purchase", "wholesale", "buy", "cost"}
# Words of the field that points to a product's parent (`itemMatrixID`, `group_id`, `ParentRef`).
PARENT_WORDS = {"parent", "group", "matrix", "template", "master", "style", "family", "model", "handle"}
PHONE_WORDS = {"phone", "telephone", "mobile", "tel", "cell", "fax"}
