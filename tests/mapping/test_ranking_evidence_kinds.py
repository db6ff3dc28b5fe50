"""Evidence read from the tuning misses: lists inside lines, yes/no status flags, keys beside SKUs, other
parties' keys, parents, record times that stand for each other, address lines, roles and plurals.

One small schema per behaviour; the assertion is on the first candidate."""

from connectors.mapping.suggest import suggest_mappings
from connectors.mapping.words import tokens


def first(standard, fields, target):
    result = suggest_mappings(standard, "read", fields, rerank=False)
    entry = next(entry for entry in result["fields"] if entry["target"] == target)
    return entry["candidates"][0] if entry["candidates"] else None


def test_plurals_in_es_keep_their_stem():
    assert tokens("taxes") == ("tax",) and tokens("addresses") == ("address",)
    assert tokens("statuses") == ("status",) and tokens("batches") == ("batch",)
    assert tokens("warehouses") == ("warehouse",) and tokens("sizes") == ("size",)


def test_a_lines_tax_is_read_from_the_list_of_taxes_inside_the_line_and_shown_for_review():
    fields = [
        {"path": "lineItems[*].sku", "samples": ["TS-BLU-M"]},
        {"path": "lineItems[*].quantity", "samples": [2]},
        {"path": "lineItems[*].taxes[*].amount.value", "samples": ["1.60"]},
        {"path": "pricingSummary.tax.value", "samples": ["3.20"]},
    ]
    top = first("order", fields, "lines[].tax")
    assert top["source"] == "lineItems[*].taxes[*].amount.value"
    assert top["review"] and "a list inside the line" in top["reason"]


def test_a_products_status_is_the_yes_no_flag_that_says_whether_it_is_live():
    fields = [
        {"path": "name", "samples": ["Wool hat"]},
        {"path": "is_featured", "type": "boolean", "samples": [False, True]},
        {"path": "is_visible", "type": "boolean", "samples": [True, True]},
        {"path": "is_free_shipping", "type": "boolean", "samples": [False]},
    ]
    assert first("product", fields, "status")["source"] == "is_visible"
    archived = [
        {"path": "description", "samples": ["Wool hat"]},
        {"path": "archived", "type": "string", "samples": ["false", "true"]},
        {"path": "tax", "type": "string", "samples": ["true"]},
    ]
    assert first("product", archived, "status")["source"] == "archived"


def test_a_key_beside_a_field_named_sku_is_not_the_sku():
    fields = [
        {"path": "item_id", "samples": ["4815000000044208"]},
        {"path": "sku", "samples": ["BT-4PK"]},
        {"path": "name", "samples": ["Batteries 4-pack"]},
        {"path": "group_id", "samples": ["4815000000044100"]},
    ]
    assert first("product", fields, "sku")["source"] == "sku"
    assert first("product", fields, "parent_sku")["source"] == "group_id"


def test_the_makers_part_number_is_not_the_sku():
    fields = [
        {"path": "itemID", "samples": ["2211"]},
        {"path": "manufacturerSku", "samples": ["MW-2211"]},
        {"path": "customSku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "description", "samples": ["Wool hat"]},
    ]
    assert first("product", fields, "sku")["source"] == "customSku"


def test_another_partys_key_is_not_the_order_number():
    fields = [
        {"path": "customer_id", "samples": [5021]},
        {"path": "receipt_id", "samples": [2912345678]},
        {"path": "buyer_email", "samples": ["jane@example.com"]},
    ]
    assert first("order", fields, "order_number")["source"] == "receipt_id"


def test_an_order_created_at_is_when_it_was_placed_when_nothing_else_says_so():
    fields = [
        {"path": "AmazonOrderId", "samples": ["902-3159896-1390916"]},
        {"path": "PurchaseDate", "samples": ["2024-03-05T14:22:10Z"]},
        {"path": "LastUpdateDate", "samples": ["2024-03-06T09:00:00Z"]},
        {"path": "EarliestShipDate", "samples": ["2024-03-06T00:00:00Z"]},
    ]
    assert first("order", fields, "created_at")["source"] == "PurchaseDate"
    walmart = [
        {"path": "purchaseOrderId", "samples": ["1796277083022"]},
        {"path": "orderDate", "samples": [1709648530000]},
        {"path": "orderLines.orderLine[*].item.sku", "samples": ["TS-BLU-M"]},
        {"path": "orderLines.orderLine[*].orderLineQuantity.amount", "samples": ["2"]},
        {"path": "orderLines.orderLine[*].statusDate", "samples": [1709648990000]},
    ]
    assert first("order", walmart, "created_at")["source"] == "orderDate"


def test_placed_on_is_when_the_order_was_placed():
    fields = [
        {"path": "createdOn", "samples": ["2024-03-05T14:22:10+00:00"]},
        {"path": "placedOn", "samples": ["2024-03-05T14:20:00+00:00"]},
    ]
    assert first("order", fields, "placed_at")["source"] == "placedOn"


def test_first_and_second_line_are_the_address_lines():
    fields = [
        {"path": "name", "samples": ["Jane Doe"]},
        {"path": "first_line", "samples": ["1 Main St"]},
        {"path": "second_line", "samples": ["Apt 4"]},
        {"path": "city", "samples": ["Springfield"]},
        {"path": "zip", "samples": ["62701"]},
        {"path": "formatted_address", "samples": ["Jane Doe\n1 Main St\nApt 4\nSpringfield, IL 62701"]},
    ]
    assert first("order", fields, "ship_to.line1")["source"] == "first_line"
    assert first("order", fields, "ship_to.line2")["source"] == "second_line"


def test_a_state_among_no_address_fields_is_not_the_region():
    recipient = "fulfillments[*].shipment_details.recipient"
    fields = [
        {"path": "fulfillments[*].state", "samples": ["PROPOSED", "COMPLETED"]},
        {"path": f"{recipient}.address.address_line_1", "samples": ["1 Main St"]},
        {"path": f"{recipient}.address.locality", "samples": ["Springfield"]},
        {"path": f"{recipient}.address.administrative_district_level_1", "samples": ["IL"]},
        {"path": f"{recipient}.address.postal_code", "samples": ["62701"]},
    ]
    top = first("order", fields, "ship_to.region")
    assert top["source"] == f"{recipient}.address.administrative_district_level_1"


def test_a_lines_tax_after_discounts_beats_the_one_before():
    fields = [
        {"path": "line_items[*].sku", "samples": ["TS-BLU-M"]},
        {"path": "line_items[*].quantity", "samples": [2]},
        {"path": "line_items[*].subtotal_tax", "samples": ["2.00"]},
        {"path": "line_items[*].total_tax", "samples": ["1.80"]},
    ]
    assert first("order", fields, "lines[].tax")["source"] == "line_items[*].total_tax"


def test_beside_a_category_a_type_is_the_products_kind_not_its_category():
    fields = [
        {"path": "sku", "samples": ["BT-4PK"]},
        {"path": "product_type", "samples": ["goods", "service"]},
        {"path": "category_name", "samples": ["Oral Care"]},
    ]
    assert first("product", fields, "product_type")["source"] == "category_name"
    # A named type object is a product type in its own right.
    saleor = [
        {"path": "sku", "samples": ["JUICE-1L"]},
        {"path": "product.productType.name", "samples": ["Juice"]},
        {"path": "product.name", "samples": ["Apple juice"]},
    ]
    assert first("product", saleor, "product_type")["source"] == "product.productType.name"


def test_a_product_without_a_name_field_is_named_by_its_short_description():
    fields = [
        {"path": "sku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "itemDescription", "samples": ["Wool hat, grey"]},
        {"path": "Category.name", "samples": ["Hats"]},
        {"path": "sellPrice", "samples": [24.99]},
    ]
    top = first("product", fields, "name")
    assert top["source"] == "itemDescription" and "as the name" in top["reason"]
    # Beside a longer one, the short description names the product and the next one describes it.
    sage = [
        {"path": "code", "samples": ["BMSMN0001"]},
        {"path": "description1", "samples": ["Wool hat grey"]},
        {"path": "description2", "samples": ["Merino wool, one size"]},
        {"path": "productCategory.description", "samples": ["Bought-in finished goods"]},
    ]
    assert first("product", sage, "name")["source"] == "description1"
    assert first("product", sage, "description")["source"] == "description2"


def test_a_vendors_price_is_a_cost_not_the_price():
    fields = [
        {"path": "sku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "sellPrice", "samples": [24.99]},
        {"path": "vendorPrice", "samples": [9.4]},
    ]
    assert first("product", fields, "price")["source"] == "sellPrice"
    assert first("product", fields, "cost")["source"] == "vendorPrice"


def test_stock_kinds_read_open_orders_and_purchase_orders_and_not_their_negations():
    fields = [
        {"path": "sku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "availableQuantity", "samples": [140]},
        {"path": "onHandQuantity", "samples": [150]},
        {"path": "unallocatableQuantity", "samples": [2]},
        {"path": "openOrderQuantity", "samples": [8]},
        {"path": "openPOQuantity", "samples": [200]},
    ]
    assert first("inventory_level", fields, "committed")["source"] == "openOrderQuantity"
    assert first("inventory_level", fields, "incoming")["source"] == "openPOQuantity"


def test_sentences_are_no_phone_number():
    fields = [
        {"path": "buyerSpecialInstructions", "samples": ["Leave with neighbour at no. 12"]},
        {"path": "billingInfo.billingPhoneNumber", "samples": ["07700 900123"]},
        {"path": "billingInfo.billingEmailAddress", "samples": ["jane@example.co.uk"]},
    ]
    assert first("shipment", fields, "customer.phone")["source"] == "billingInfo.billingPhoneNumber"


def test_a_lines_variant_sku_beats_its_products_sku():
    fields = [
        {"path": "item_list[*].item_sku", "samples": ["HAT"]},
        {"path": "item_list[*].model_sku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "item_list[*].model_quantity_purchased", "samples": [1]},
    ]
    assert first("order", fields, "lines[].sku")["source"] == "item_list[*].model_sku"


def test_words_are_a_locations_name_not_its_key_and_a_key_is_no_quantity():
    fields = [
        {"path": "ID", "samples": ["8a1e4c57-1f2b-4c9e-9a7d-0b1f1c2d3e4f"]},
        {"path": "SKU", "samples": ["SHOE-RUN-42"]},
        {"path": "Location", "samples": ["Main Warehouse", "Shop Floor"]},
        {"path": "Available", "samples": [42.0]},
    ]
    assert first("inventory_level", fields, "location.name")["source"] == "Location"
    shipbob = [
        {"path": "inventory_id", "samples": [1180392]},
        {"path": "sku", "samples": ["HAT-WOOL-GRY"]},
        {"path": "locations[*].fulfillable_quantity", "samples": [40]},
        {"path": "locations[*].on_hand_quantity", "samples": [44]},
    ]
    assert first("inventory_level", shipbob, "available")["source"] == "locations[*].fulfillable_quantity"


def test_the_parties_key_or_user_name_is_not_its_name_or_phone():
    fields = [
        {"path": "buyer.username", "samples": ["jsmith_2024"]},
        {"path": "buyer.buyerRegistrationAddress.primaryPhone.phoneNumber", "samples": ["+1 555 0100"]},
        {"path": "buyer.buyerRegistrationAddress.email", "samples": ["jsmith@example.com"]},
    ]
    assert first("order", fields, "customer.phone")["source"].endswith("primaryPhone.phoneNumber")


def test_the_customers_notes_not_the_merchants():
    fields = [
        {"path": "PrivateNotes", "samples": ["Check stock before shipping"]},
        {"path": "PublicNotes", "samples": ["Please gift wrap"]},
        {"path": "ID", "samples": [1042]},
    ]
    assert first("order", fields, "notes")["source"] == "PublicNotes"
    etsy = [
        {"path": "buyer_user_id", "samples": [59140234]},
        {"path": "message_from_buyer", "samples": ["Could you ship it by Friday?"]},
        {"path": "message_from_seller", "samples": ["Thanks for your order!"]},
    ]
    assert first("order", etsy, "notes")["source"] == "message_from_buyer"


def test_a_shipping_methods_name_is_no_lines_sku():
    fields = [
        {"path": "deliveries[*].shippingMethod.name", "samples": ["Standard"]},
        {"path": "lineItems[*].payload.productNumber", "samples": ["SWDEMO10005"]},
        {"path": "lineItems[*].quantity", "samples": [2]},
    ]
    assert first("order", fields, "lines[].sku")["source"] == "lineItems[*].payload.productNumber"


def test_a_bare_id_is_not_the_sku_when_a_field_of_the_record_is_named_sku():
    fields = [
        {"path": "id", "samples": ["p_123"]},
        {"path": "name", "samples": ["Faire's fantastic candle"]},
        {"path": "options[*].id", "samples": ["po_123"]},
        {"path": "options[*].sku", "samples": ["vanilla-2019"]},
    ]
    assert first("product", fields, "sku")["source"] == "options[*].sku"


def test_a_status_objects_words_beat_its_numeric_id_and_samples_that_name_statuses_count():
    fields = [
        {"path": "id", "samples": [1680214]},
        {"path": "status.id", "samples": [1000, 11]},
        {"path": "status.message", "samples": ["Ready to send", "Delivered"]},
        {"path": "tracking_number", "samples": ["3SYZXG132912330"]},
    ]
    assert first("shipment", fields, "status")["source"] == "status.message"
    top = first("shipment", [{"path": "tracking_status", "samples": ["PRE_TRANSIT", "TRANSIT", "DELIVERED"]}], "status")
    assert top["source"] == "tracking_status" and "samples look like its values" in top["reason"]


def test_a_count_is_no_amount_and_a_bare_total_is_no_weight():
    fields = [
        {"path": "total_qty_ordered", "samples": [3.0]},
        {"path": "grand_total", "samples": [57.9]},
        {"path": "shipping_amount", "samples": [5.0]},
        {"path": "increment_id", "samples": ["000000042"]},
    ]
    assert first("order", fields, "totals.shipping")["source"] == "shipping_amount"
    parcel = [
        {"path": "orderIdentifier", "samples": [1001]},
        {"path": "total", "samples": [28.93]},
        {"path": "weightInGrams", "samples": [450]},
    ]
    assert first("shipment", parcel, "weight.value")["source"] == "weightInGrams"


def test_which_amount_is_said_by_the_segments_before_a_bare_amount_leaf():
    money = "shopMoney.amount"
    fields = [
        {"path": f"subtotalPriceSet.{money}", "samples": ["40.00"]},
        {"path": f"totalShippingPriceSet.{money}", "samples": ["5.00"]},
        {"path": f"totalTaxSet.{money}", "samples": ["3.20"]},
        {"path": f"totalPriceSet.{money}", "samples": ["48.20"]},
    ]
    assert first("order", fields, "totals.shipping")["source"] == f"totalShippingPriceSet.{money}"
    assert first("order", fields, "totals.total")["source"] == f"totalPriceSet.{money}"
