"""The shipped default mappings compile and turn real sandbox records into valid standard records."""

from __future__ import annotations

import pytest

from connectors.mapping.defaults import load_default_mapping
from connectors.mapping.engine import compile_mapping
from connectors.shopify.connector import ShopifyConnector
from connectors.whiplash.connector import WhiplashConnector
from tests.whiplash.conftest import shipment_order

SHIPMENT = {
    "shipment_number": "IF-1001",
    "order_number": "SO-77",
    "service_level": "UPS Ground",
    "instructions": "Gift wrap",
    "customer": {"name": "Jane Smith", "email": "jane@example.com"},
    "ship_to": {
        "name": "Jane Smith",
        "line1": "456 Oak Avenue",
        "city": "Portland",
        "region": "OR",
        "postal_code": "97201",
        "country": "us",
        "residential": True,
    },
    "lines": [
        {"line_number": 1, "sku": "TSHIRT-BLA-S", "quantity": 2, "unit_price": {"amount": "19.99", "currency": "USD"}}
    ],
}


def _compiled(slug, stream, direction):
    document = load_default_mapping(slug, stream, direction)
    assert document is not None, f"{slug} ships no {stream}.{direction}.json"
    return compile_mapping(
        document["rules"], standard=document["standard"], direction=direction, lookups=document["lookups"]
    )


def _apply_all(compiled, records):
    results = [compiled.apply(r) for r in records]
    errors = [e for r in results for e in r.errors]
    assert not errors, errors[:3]
    return [r.output for r in results]


def test_shipment_to_whiplash_order_is_what_the_writer_accepts(connect, whiplash):
    (order,) = _apply_all(_compiled("whiplash", "orders", "write"), [SHIPMENT])
    assert order["shipping_name"] == "Jane Smith" and order["shipping_country"] == "US"
    assert order["email"] == "jane@example.com" and order["shop_shipping_method_text"] == "UPS Ground"
    assert order["order_orig"] == "SO-77" and order["public_note"] == "Gift wrap"
    line = order["order_items_attributes"][0]
    assert (line["sku"], line["quantity"], line["price"]) == ("TSHIRT-BLA-S", 2, "19.99")
    result = connect()[0].write("orders", [order], context={"keys": ["netsuite:itemFulfillment:1001"]})[0]
    assert result.ok and result.action == "created", result.error
    stored = whiplash.app.orders[int(result.destination_id)]
    assert stored["originator"] == {
        **stored["originator"],
        "original_id": "netsuite:itemFulfillment:1001",
        "group_id": "ekyam",
    }


@pytest.mark.parametrize("stream", ["inventory", "products", "orders"])
def test_whiplash_read_mappings_produce_valid_standard_records(stream, connect, whiplash):
    connector, _ = connect()
    if stream == "orders":
        connector.write("orders", [shipment_order()], context={"keys": ["netsuite:itemFulfillment:1"]})
    records = [r for page in connector.read(stream) for r in page.records]
    outputs = _apply_all(_compiled("whiplash", stream, "read"), records)
    assert outputs and all(o for o in outputs)


def test_whiplash_inventory_to_shopify_inventory_write(connect, whiplash):
    connector, _ = connect()
    levels = _apply_all(
        _compiled("whiplash", "inventory", "read"), [r for p in connector.read("inventory") for r in p.records]
    )
    writes = _apply_all(_compiled("shopify", "inventory", "write"), levels)
    assert writes[0]["sku"] == levels[0]["sku"] and writes[0]["quantity"] == levels[0]["available"]
    assert ShopifyConnector.stream("inventory", "write").standard == "inventory_level"
    assert WhiplashConnector.stream("inventory", "read").standard == "inventory_level"
