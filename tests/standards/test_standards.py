import json

import pytest
from jsonschema import Draft202012Validator

from connectors.standards import (
    STANDARD_NAMES,
    UnknownStandard,
    Violation,
    fields_of,
    get_standard,
    is_valid,
    list_standards,
    validate,
)
from connectors.standards.loader import SCHEMA_DIR


def example_record(name: str) -> dict:
    """A record built from the examples of the standard's top-level fields."""
    schema = get_standard(name)
    return {key: node["examples"][0] for key, node in schema["properties"].items()}


@pytest.mark.parametrize("name", STANDARD_NAMES)
def test_schema_files_are_valid_json_schema_with_version(name):
    raw = json.loads((SCHEMA_DIR / "v1" / f"{name}.json").read_text())
    assert raw["x-version"] == "1.0.0" and raw["x-standard"] == name
    Draft202012Validator.check_schema(get_standard(name))


@pytest.mark.parametrize("name", STANDARD_NAMES)
def test_every_field_has_description_and_example(name):
    fields = fields_of(name)
    assert fields
    for field in fields:
        assert field["description"], field["path"]
        assert field["example"] is not None, field["path"]
    assert {"source_ids", "created_at", "updated_at"} <= {f["path"] for f in fields}


@pytest.mark.parametrize("name", STANDARD_NAMES)
def test_examples_form_a_valid_record(name):
    record = example_record(name)
    assert validate(name, record) == []
    assert is_valid(name, record)


def test_field_lists_follow_the_reference():
    product = {f["path"]: f for f in fields_of("product")}
    assert {p for p, f in product.items() if f["required"]} == {"sku", "name"}
    for field in ["description", "barcode", "brand", "product_type", "status", "price", "cost", "weight", "dimensions"]:
        assert field in product
    for field in ["parent_sku", "options", "image_url", "tags", "weight.unit", "dimensions.unit"]:
        assert field in product
    assert product["status"]["enum"] == ["active", "inactive", "archived"]
    assert product["price"]["type"] == "money"
    shipment = {f["path"]: f for f in fields_of("shipment")}
    required = {p for p, f in shipment.items() if f["required"]}
    assert {"shipment_number", "ship_to", "lines", "ship_to.name", "ship_to.line1", "ship_to.city"} <= required
    assert {"ship_to.country", "lines[].sku", "lines[].quantity"} <= required
    assert "customer.email" in shipment and not shipment["customer.email"]["required"]
    assert shipment["status"]["enum"] == ["pending", "picked", "packed", "shipped", "delivered", "cancelled"]
    inventory = {f["path"]: f for f in fields_of("inventory_level")}
    assert {p for p, f in inventory.items() if f["required"]} == {"sku", "location", "available", "location.id"}
    order = {f["path"] for f in fields_of("order")}
    assert {"order_number", "placed_at", "bill_to", "lines[].discount", "totals.total", "currency", "notes"} <= order
    location = {f["path"]: f for f in fields_of("location")}
    assert location["kind"]["enum"] == ["warehouse", "store", "3pl"]


def test_list_standards_names_versions_titles():
    listed = list_standards()
    assert [s["name"] for s in listed] == list(STANDARD_NAMES)
    assert all(s["version"] == "1.0.0" and s["title"] and s["fields"] for s in listed)


def test_get_standard_returns_a_copy_and_unknown_names_fail():
    schema = get_standard("product")
    schema["properties"].clear()
    assert get_standard("product")["properties"]
    with pytest.raises(UnknownStandard, match="Unknown standard 'invoice'"):
        get_standard("invoice")


def test_validate_reports_every_violation_with_its_path():
    record = example_record("shipment")
    record["ship_to"] = {"name": "Jane", "line1": "1 Main St", "country": "usa"}
    record["lines"] = [{"sku": "A", "quantity": 2}, {"quantity": 0}]
    record["status"] = "lost"
    record["bogus"] = 1
    record["tracking_numbers"] = "1Z999"
    record["weight"] = {"value": -1, "unit": "stone"}
    record["created_at"] = "yesterday"
    violations = validate("shipment", record)
    assert all(isinstance(v, Violation) for v in violations)
    found = {v.path: v.message for v in violations}
    assert found["ship_to.city"] == "is required"
    assert "ISO 3166-1 alpha-2" in found["ship_to.country"]
    assert found["lines[1].sku"] == "is required"
    assert found["lines[1].quantity"].startswith("must be greater than 0")
    assert found["status"].startswith("must be one of pending")
    assert found["bogus"] == "is not a field of this standard"
    assert found["tracking_numbers"].startswith("must be a list")
    assert found["weight.value"].startswith("must be at least 0")
    assert found["weight.unit"].startswith("must be one of g, kg, oz, lb")
    assert "ISO 8601 timestamp" in found["created_at"]
    assert validate("shipment", {"ship_to": {}})[0] == Violation("lines", "is required")
    assert "lines: is required" in str(validate("shipment", {})[0])


def test_money_and_types():
    product = {"sku": "A", "name": "B", "price": {"amount": 19.99, "currency": "usd"}}
    found = {v.path: v.message for v in validate("product", product)}
    assert found["price.amount"].startswith("must be a string")
    assert "ISO 4217" in found["price.currency"]
    assert validate("product", {"sku": "A", "name": "B", "price": {"amount": "19.99", "currency": "USD"}}) == []
    found = {v.path for v in validate("inventory_level", {"sku": "A", "location": {}, "available": 1.5})}
    assert found == {"location.id", "available"}


BAD_VARIANTS = [
    {},
    {"shipment_number": ""},
    {"lines": []},
    {"lines": [{"sku": "A", "quantity": "2"}]},
    {"lines": [{"sku": "A", "quantity": 2, "extra": 1}]},
    {"ship_to": {"name": "J", "line1": "x", "city": "c", "country": "US", "residential": "yes"}},
    {"customer": {"name": 5}},
    {"source_ids": {"netsuite": 9001}},
    {"weight": {"value": True, "unit": "lb"}},
    {"ship_date": "2025-12-19T10:00:00Z"},
    {"tracking_numbers": ["1Z", 5]},
]


@pytest.mark.parametrize("change", BAD_VARIANTS)
def test_compiled_check_agrees_with_jsonschema(change):
    record = example_record("shipment")
    record.update(change)
    if change == {}:
        record.pop("lines")
    assert is_valid("shipment", record) == (validate("shipment", record) == [])
    assert not is_valid("shipment", record)


def test_compiled_check_accepts_whole_floats_as_integers_like_jsonschema():
    record = {"sku": "A", "location": {"id": "1"}, "available": 3.0}
    assert is_valid("inventory_level", record) and validate("inventory_level", record) == []
    assert not is_valid("inventory_level", {**record, "available": True})
    assert validate("inventory_level", {**record, "available": True})


def _free_strings(node, path=""):
    """Every string field without an enum or a date format: free text, which must have a bound."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "enum" not in node and node.get("format") not in ("date", "date-time"):
            yield path, node
        for key, child in node.items():
            yield from _free_strings(child, f"{path}/{key}")


@pytest.mark.parametrize("name", STANDARD_NAMES)
def test_every_free_text_field_declares_a_max_length(name):
    unbounded = [
        p for p, node in _free_strings(get_standard(name)) if "maxLength" not in node and "pattern" not in node
    ]
    assert unbounded == []


def test_an_oversized_value_is_named_by_both_checks():
    record = {**example_record("shipment"), "instructions": "x" * 2001}
    assert not is_valid("shipment", record)
    assert [str(v) for v in validate("shipment", record)] == [
        "instructions: must be at most 2000 characters (got 2001)"
    ]
    assert is_valid("shipment", {**record, "instructions": "x" * 2000})
