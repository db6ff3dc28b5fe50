"""The shipped default read mappings turn sandbox records into valid Ekyam standard records."""

import pytest

from connectors.mapping.defaults import load_default_mapping
from connectors.mapping.engine import compile_mapping
from connectors.netsuite.sandbox.app import NetSuiteSandbox


def compiled(stream):
    mapping = load_default_mapping("netsuite", stream, "read")
    assert mapping is not None
    return compile_mapping(
        mapping["rules"], standard=mapping["standard"], direction="read", lookups=mapping.get("lookups", {})
    )


@pytest.mark.parametrize(
    ("stream", "record_type", "first_id"), [("products", "inventoryItem", 1000), ("shipments", "itemFulfillment", 9000)]
)
def test_every_seeded_record_maps_without_errors(stream, record_type, first_id):
    data = NetSuiteSandbox(seed=3, records=40).data
    mapping = compiled(stream)
    results = list(mapping.apply_many(data.get(record_type, str(first_id + i)) for i in range(40)))
    assert all(not r.errors for r in results), [r.errors for r in results if r.errors][:2]
    assert all(r.output["source_ids"]["netsuite"] for r in results)


def test_shipment_mapping_details():
    record = NetSuiteSandbox(seed=3, records=10).data.get("itemFulfillment", "9001")
    record = {**record, "shipStatus": {"id": "C"}, "custbody_order_number": None}
    record["createdFrom"] = {"id": "7001", "refName": "Sales Order #SO-104001"}
    output = compiled("shipments").apply(record).output
    assert output["status"] == "shipped" and output["order_number"] == "SO-104001"
    assert output["ship_to"]["country"] == "US" and output["lines"][0]["sku"] == record["item"]["items"][0]["itemName"]
    assert output["tracking_numbers"] == [p["packageTrackingNumber"] for p in record["package"]["items"]]
