"""Evidence beyond shared words: distinctive sample shapes, generated keys, deadlines, reordered words."""

import pytest

from connectors.mapping.engine import compile_mapping
from connectors.mapping.features import heuristic, targets_of
from connectors.mapping.shapes import detect, has
from connectors.mapping.sources import analyse, make_source
from connectors.mapping.suggest import suggest_mappings
from connectors.mapping.words import similarity, tokens


def sources(result, target):
    entry = next(entry for entry in result["fields"] if entry["target"] == target)
    return [c["source"] for c in entry["candidates"]]


def test_iso_country_codes_are_a_candidate_for_the_country_whatever_the_field_is_called():
    fields = [
        {"path": "recipient_address.name", "samples": ["Tan Mei Ling"]},
        {"path": "recipient_address.city", "samples": ["Singapore", "Kuala Lumpur"]},
        {"path": "recipient_address.zipcode", "samples": ["469001", "50450"]},
        {"path": "recipient_address.region", "samples": ["SG", "MY", "SG"]},
    ]
    result = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(result, "ship_to.country")[:1] == ["recipient_address.region"]


def test_shape_alone_proposes_nothing_for_fields_without_a_distinctive_shape():
    # Plain words say nothing about a region: no candidate rather than a guess.
    fields = [{"path": "zone", "samples": ["North", "South"]}]
    result = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(result, "ship_to.region") == []


def test_generated_keys_are_detected():
    assert has(detect(["7b6a0ed1-1bd5-4c56-8a1b-0d3f6a8d2f11", "0C8E3FD5-A0CD-4C1E-8D3B-9F6A1E2D7C44"]), "opaque_id")
    assert has(detect(["65f1d2a7b8c9e4d3f0a1b2c3"]), "opaque_id")  # a 24-digit hex (Mongo) id
    assert not has(detect(["SO-10042", "100231", "TS-BLU-M"]), "opaque_id")


@pytest.mark.parametrize(
    ("fields", "target", "readable"),
    [
        pytest.param(
            [
                {"path": "OrderId", "samples": ["7b6a0ed1-1bd5-4c56-8a1b-0d3f6a8d2f11"]},
                {"path": "NumOrderId", "samples": [100231, 100232]},
                {"path": "GeneralInfo.ReceivedDate", "samples": ["2024-03-05T14:22:10"]},
            ],
            "order_number",
            "NumOrderId",
            id="not-the-order-number-when-a-readable-number-exists",
        ),
        pytest.param(
            [
                {"path": "lineItems[*].id", "samples": ["5f1d2a7b8c9e4d3f"]},
                {"path": "lineItems[*].payload.productNumber", "samples": ["SWDEMO10005"]},
                {"path": "lineItems[*].quantity", "samples": [2]},
                {"path": "lineItems[*].unitPrice", "samples": [29.95]},
            ],
            "lines[].sku",
            "lineItems[*].payload.productNumber",
            id="a-lines-bare-id-is-not-its-sku",
        ),
    ],
)
def test_a_generated_key_loses_to_a_readable_identifier(fields, target, readable):
    result = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(result, target)[0] == readable


def test_a_deadline_or_an_estimate_is_a_weak_candidate_for_when_something_happened():
    fields = [
        {"path": "estimatedShipDate", "samples": ["2024-03-07"]},
        {"path": "actualShipDate", "samples": ["2024-03-05"]},
    ]
    result = suggest_mappings("shipment", "read", fields, rerank=False)
    entry = next(e for e in result["fields"] if e["target"] == "ship_date")
    assert entry["candidates"][0]["source"] == "actualShipDate"
    estimate = next(c for c in entry["candidates"] if c["source"] == "estimatedShipDate")
    assert estimate["review"] and "a deadline or estimate" in estimate["reason"]


def test_the_same_words_in_another_order_are_nearly_the_same_name():
    assert tokens("PricePerUnit") == ("price", "unit")  # `per` is noise
    assert similarity(tokens("PricePerUnit"), tokens("unit price")) > similarity(
        tokens("UnitCost"), tokens("unit price")
    )
    assert tokens("order_sn") == ("order", "serial", "number")


def test_a_shipping_methods_name_is_not_the_recipients_name():
    fields = [
        {"path": "shipping_lines[*].method.name", "samples": ["Express 24h"]},
        {"path": "shipping.recipient.full_name", "samples": ["Kate Walker"]},
        {"path": "shipping.recipient.city", "samples": ["Leeds"]},
        {"path": "shipping.recipient.postcode", "samples": ["LS1 4AB"]},
    ]
    result = suggest_mappings("order", "read", fields, rerank=False)
    entry = next(e for e in result["fields"] if e["target"] == "ship_to.name")
    assert entry["candidates"][0]["source"] == "shipping.recipient.full_name"
    method = [c for c in entry["candidates"] if c["source"] == "shipping_lines[*].method.name"]
    assert not method or "part of a shipping method, not an address" in method[0]["reason"]


def test_a_discounts_amount_is_not_the_unit_price_but_a_total_including_tax_is_a_total():
    fields = [
        {"path": "lines[*].sku", "samples": ["MUG-1"]},
        {"path": "lines[*].quantity", "samples": [2]},
        {"path": "lines[*].discount.price", "samples": [1.5]},
        {"path": "lines[*].base_price", "samples": [12.5]},
        {"path": "total_inc_tax", "samples": [27.5]},
    ]
    result = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(result, "lines[].unit_price")[0] == "lines[*].base_price"
    assert sources(result, "totals.total")[0] == "total_inc_tax"


def test_the_products_id_in_a_stock_record_is_not_the_locations_id():
    fields = [
        {"path": "product.id", "samples": [9921]},
        {"path": "product.sku", "samples": ["EM-BLK-01"]},
        {"path": "site", "samples": [1201]},
        {"path": "quantity_on_hand", "samples": [50]},
    ]
    result = suggest_mappings("inventory_level", "read", fields, rerank=False)
    assert "product.id" not in sources(result, "location.id")[:1]


def test_shipped_quantity_for_a_shipment_line_ordered_quantity_for_an_order_line():
    fields = [
        {"path": "Details[*].InventoryID", "samples": ["AALEGO500"]},
        {"path": "Details[*].OrderedQty", "samples": [10]},
        {"path": "Details[*].ShippedQty", "samples": [8]},
    ]
    shipment = suggest_mappings("shipment", "read", fields, rerank=False)
    order = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(shipment, "lines[].quantity")[0] == "Details[*].ShippedQty"
    assert sources(order, "lines[].quantity")[0] == "Details[*].OrderedQty"
    assert sources(shipment, "lines[].sku")[0] == "Details[*].InventoryID"


def test_dates_written_other_than_in_iso_8601_are_dates_and_get_their_format():
    for samples in (
        ["05-03-2024 14:22:10", "06-03-2024 09:01:00"],
        ["Tue, 05 Mar 2024 14:22:10 +0000"],
        ["/Date(1709648530000+0000)/"],
        ["05.03.2024"],
    ):
        shapes = detect(samples)
        assert has(shapes, "datetime") or has(shapes, "date"), samples
    fields = [
        {"path": "date_created", "samples": ["05-03-2024 14:22:10", "26-03-2024 09:01:00"]},
        {"path": "date_modified", "samples": ["Tue, 05 Mar 2024 14:22:10 +0000"]},
    ]
    result = suggest_mappings("order", "read", fields, rerank=False)
    created = next(e for e in result["fields"] if e["target"] == "created_at")["candidates"][0]
    updated = next(e for e in result["fields"] if e["target"] == "updated_at")["candidates"][0]
    assert created["transforms"] == [{"op": "to_datetime", "format": "%d-%m-%Y %H:%M:%S"}]
    assert updated["transforms"] == [{"op": "to_datetime", "format": "%a, %d %b %Y %H:%M:%S %z"}]
    rules = [
        {"target": "order_number", "source": "number"},
        {"target": "created_at", "source": "date_created", "transforms": created["transforms"]},
        {"target": "updated_at", "source": "date_modified", "transforms": updated["transforms"]},
    ]
    mapping = compile_mapping(rules, standard="order", direction="read")
    record = {
        "number": "S-1",
        "date_created": "26-03-2024 09:01:00",
        "date_modified": "Tue, 05 Mar 2024 14:22:10 +0000",
    }
    mapped = mapping.apply(record)
    assert mapped.ok, mapped.errors
    assert mapped.output["created_at"].startswith("2024-03-26T09:01:00")
    assert mapped.output["updated_at"] == "2024-03-05T14:22:10+00:00"


def test_abbreviations_without_vowels_are_read_as_vocabulary_words():
    assert tokens("ITEMNMBR") == ("item", "number")
    assert tokens("QTYONHND") == ("quantity", "on", "hand")
    assert tokens("ShipToCtry") == ("ship", "to", "country")
    assert tokens("qtyCmtd") == ("quantity", "commit")
    assert tokens("wgt") == ("weight",)
    # Codes the vocabulary knows stay what they are.
    for code in ("msrp", "upc", "gtin", "sku", "awb"):
        assert tokens(code) == (code,)


def test_an_abbreviated_stock_record_is_mapped():
    fields = [
        {"path": "ITEMNMBR", "samples": ["HDWR-SRG-1000"]},
        {"path": "QTYONHND", "samples": [240]},
        {"path": "QTYCMTD", "samples": [12]},
    ]
    result = suggest_mappings("inventory_level", "read", fields, rerank=False)
    assert sources(result, "sku")[:1] == ["ITEMNMBR"]
    assert sources(result, "on_hand")[:1] == ["QTYONHND"]
    assert sources(result, "committed")[:1] == ["QTYCMTD"]


def test_an_order_that_says_only_when_it_was_placed_was_created_then():
    fields = [
        {"path": "AmazonOrderId", "samples": ["902-3159896-1390916"]},
        {"path": "PurchaseDate", "samples": ["2024-03-05T14:22:10Z"]},
    ]
    result = suggest_mappings("order", "read", fields, rerank=False)
    assert sources(result, "placed_at")[:1] == ["PurchaseDate"]
    entry = next(e for e in result["fields"] if e["target"] == "created_at")
    assert [c["source"] for c in entry["candidates"]][:1] == ["PurchaseDate"]
    assert "as placed_at" in entry["candidates"][0]["reason"]


def test_a_number_is_not_a_name():
    # `ShipToNum` (the ship-to's code) reads like `ship to name` but says it is a number, as an id would.
    target = next(t for t in targets_of("order") if t.path == "ship_to.name")
    scores = {}
    for path in ("ShipToNum", "ShipToId", "ShipToName"):
        source = make_source({"path": path, "samples": ["MAIN"]})
        analyse([source])
        scores[path] = heuristic(target, source).heuristic
    assert scores["ShipToNum"] == scores["ShipToId"] < 0.5 < scores["ShipToName"]


def test_an_address_that_names_no_role_is_the_ship_to_rather_than_the_bill_to():
    by_path = {t.path: t for t in targets_of("order")}
    source = make_source({"path": "OTSCity", "samples": ["Minneapolis"]})
    analyse([source])
    ship, bill = heuristic(by_path["ship_to.city"], source), heuristic(by_path["bill_to.city"], source)
    assert ship.heuristic > bill.heuristic
