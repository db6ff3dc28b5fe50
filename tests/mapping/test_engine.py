import copy
import json

import pytest

from connectors.mapping.engine import MappingInvalid, MapResult, RecordMappingError, compile_mapping

from .helpers import fixture

MAPPING = fixture("shipments.read.json")
RECORD = fixture("netsuite_fulfillment.json")


def compiled():
    return compile_mapping(MAPPING["rules"], standard="shipment", direction="read", lookups=MAPPING["lookups"])


def test_netsuite_fulfillment_maps_to_a_valid_shipment():
    result = compiled().apply(RECORD)
    assert isinstance(result, MapResult) and result.ok, result.errors
    out = result.output
    assert out["shipment_number"] == "IF-9001"
    assert out["order_number"] == "SO-1001"
    assert out["status"] == "shipped"
    assert out["ship_date"] == "2025-12-19"
    assert out["carrier"] == "UPS" and out["service_level"] == "UPS Ground"
    assert out["tracking_numbers"] == ["1Z999AA10123456784", "1Z999AA10123456785"]
    assert out["ship_to"] == {
        "name": "Jane Smith",
        "line1": "456 Oak Avenue",
        "line2": "Apt 3B",
        "city": "Portland",
        "region": "OR",
        "postal_code": "97201",
        "country": "US",
        "phone": "+1-503-555-0100",
        "residential": True,
    }
    assert out["customer"] == {"name": "Jane Smith", "email": "jane.smith@example.com"}
    assert out["source_ids"] == {"netsuite": "9001"}
    assert out["created_at"] == "2025-12-19T15:09:00+00:00"
    assert out["lines"][1] == {
        "line_number": 2,
        "sku": "CAP-RED",
        "quantity": 1,
        "description": "Cap Red",
        "unit_price": {"amount": "12.50", "currency": "USD"},
    }
    json.dumps(out)  # plain JSON, ready to store


def test_mapping_is_complete_and_incomplete_lists_missing_required_fields():
    assert compiled().is_complete
    partial = compile_mapping(MAPPING["rules"][:3], standard="shipment", direction="read", lookups=MAPPING["lookups"])
    assert not partial.is_complete
    assert partial.missing_required == [
        "ship_to.name",
        "ship_to.line1",
        "ship_to.city",
        "ship_to.country",
        "lines",
        "lines[].sku",
        "lines[].quantity",
    ]
    whole_address = compile_mapping(
        [{"target": "shipment_number", "source": "a"}, {"target": "ship_to", "source": "addr"}],
        standard="shipment",
        direction="read",
    )
    assert whole_address.missing_required == ["lines", "lines[].sku", "lines[].quantity"]


def test_record_errors_name_rule_source_value_and_the_batch_continues():
    bad = copy.deepcopy(RECORD)
    bad["shipStatus"]["id"] = "Z"
    bad["tranDate"] = "19/12/2025"
    bad["item"]["items"][1]["quantity"] = "two"
    missing = copy.deepcopy(RECORD)
    del missing["tranId"]
    invalid = copy.deepcopy(RECORD)
    invalid["shippingAddress"]["country"]["id"] = "USA"
    invalid["item"]["items"][0]["quantity"] = 0
    results = list(compiled().apply_many([RECORD, bad, missing, invalid, RECORD]))
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert results[1].output is None
    errors = {e.rule: e for e in results[1].errors}
    assert errors["status"] == RecordMappingError(
        "status", "shipStatus.id", "Z", "unknown value 'Z' for lookup table 'netsuite_ship_status'"
    )
    assert errors["ship_date"].value == "19/12/2025" and errors["ship_date"].source_path == "tranDate"
    assert errors["lines[1].quantity"].source_path == "item.items[1].quantity"
    assert errors["lines[1].quantity"].message == "'two' is not a whole number"
    assert results[2].errors[0].as_dict() == {
        "rule": "shipment_number",
        "source_path": "tranId",
        "value": None,
        "message": "a value is required",
    }
    violations = {e.rule: e for e in results[3].errors}
    assert violations["ship_to.country"].source_path == "shippingAddress.country.id"
    assert violations["ship_to.country"].value == "USA"
    assert violations["lines[0].quantity"].source_path == "item.items[0].quantity"
    assert violations["lines[0].quantity"].message.startswith("must be greater than 0")


def test_apply_many_streams_one_record_at_a_time():
    pulled = []

    def source():
        for index in range(1000):
            pulled.append(index)
            yield RECORD

    stream = compiled().apply_many(source())
    assert pulled == []
    next(stream)
    assert pulled == [0]
    next(stream)
    assert pulled == [0, 1]


def test_first_of_template_value_when_in_and_parent():
    rules = [
        {"target": "shipment_number", "template": "{tranId}-{memo}"},
        {"target": "order_number", "first_of": ["custbody_order", "createdFrom.id"]},
        {"target": "carrier", "value": "UPS", "when": {"path": "shipMethod.id", "equals": "1234"}},
        {"target": "service_level", "value": "Express", "when": {"path": "shipMethod.id", "in": ["1", "2"]}},
        {"target": "warehouse", "value": "Main", "when": {"path": "location.id", "exists": True}},
        {"target": "instructions", "source": "memo", "when": {"path": "memo", "not_equals": ""}},
        {"target": "ship_to", "source": "shippingAddress"},
        {
            "target": "lines",
            "each": "item.items",
            "rules": [
                {"target": "sku", "template": "{$parent.tranId}/{itemName}"},
                {"target": "quantity", "source": "quantity"},
                {"target": "description", "template": "{description} ({$parent.location.refName})"},
            ],
        },
    ]
    wrapped = {**RECORD, "shippingAddress": {"name": "J", "line1": "1 Main St", "city": "Portland", "country": "US"}}
    result = compile_mapping(rules, standard="shipment", direction="read").apply(wrapped)
    assert result.ok, result.errors
    out = result.output
    assert out["shipment_number"] == "IF-9001-Gift wrap please"
    assert out["order_number"] == "7001"
    assert out["carrier"] == "UPS" and "service_level" not in out
    assert out["warehouse"] == "Main" and out["instructions"] == "Gift wrap please"
    assert out["lines"][0]["sku"] == "IF-9001/TSHIRT-BLK-M"
    assert out["lines"][1]["description"] == "Cap Red (Main Warehouse)"


def test_each_where_filters_elements_and_required_each_needs_one():
    record = copy.deepcopy(RECORD)
    record["item"]["items"][0]["itemReceive"] = False
    assert [line["sku"] for line in compiled().apply(record).output["lines"]] == ["CAP-RED"]
    rules = [
        {"target": "lines", "each": "item.items[*]", "required": True, "rules": [{"target": "sku", "source": "x"}]}
    ]
    mapping = compile_mapping(rules, standard="shipment", direction="read")
    errors = mapping.apply({"item": {"items": []}}).errors
    assert errors[0].rule == "lines" and errors[0].message == "at least one element is required"


def test_write_direction_shipment_to_whiplash_order():
    shipment = compiled().apply(RECORD).output
    rules = [
        {"target": "originator_attributes.original_id", "source": "shipment_number"},
        {"target": "shipping_name", "source": "ship_to.name"},
        {"target": "shipping_address_1", "source": "ship_to.line1"},
        {"target": "shipping_country", "source": "ship_to.country"},
        {"target": "email", "source": "customer.email"},
        {"target": "shop_shipping_method_text", "source": "service_level"},
        {
            "target": "order_items_attributes",
            "each": "lines[*]",
            "rules": [
                {"target": "sku", "source": "sku"},
                {"target": "quantity", "source": "quantity"},
                {"target": "price", "source": "unit_price.amount"},
                {"target": "originator_attributes.original_id", "template": "{$parent.shipment_number}-{line_number}"},
            ],
        },
    ]
    result = compile_mapping(rules, standard="shipment", direction="write").apply(shipment)
    assert result.ok
    payload = result.output
    assert payload["originator_attributes"] == {"original_id": "IF-9001"}
    assert payload["shipping_country"] == "US" and payload["email"] == "jane.smith@example.com"
    assert payload["order_items_attributes"][0] == {
        "sku": "TSHIRT-BLK-M",
        "quantity": 2,
        "price": "19.99",
        "originator_attributes": {"original_id": "IF-9001-1"},
    }


@pytest.mark.parametrize(
    ("rules", "rule", "message"),
    [
        ([{"target": "nope", "source": "a"}], "nope", "'nope' is not a field of the shipment standard"),
        ([{"target": "ship_to.zipcode", "source": "a"}], "ship_to.zipcode", "is not a field of the shipment standard"),
        ([{"source": "a"}], "rule 1", "the rule has no `target` field"),
        ([{"target": "", "source": "a"}], "rule 1", "the rule has no `target` field"),
        ([{"target": "carrier", "source": "a..b"}], "carrier", "empty segment"),
        ([{"target": "carrier", "source": "a[x]"}], "carrier", "cannot parse"),
        ([{"target": "carrier"}], "carrier", "exactly one of source, first_of, template, value, each"),
        ([{"target": "carrier", "source": "a", "value": 1}], "carrier", "exactly one of"),
        ([{"target": "carrier", "sorce": "a", "value": "x"}], "carrier", "unknown key(s) sorce"),
        ([{"target": "ship_date", "source": "d", "transforms": [{"op": "to_integer"}]}], "ship_date", "type mismatch"),
        ([{"target": "created_at", "source": "d", "transforms": [{"op": "to_date"}]}], "created_at", "type mismatch"),
        ([{"target": "lines", "source": "x", "transforms": [{"op": "to_integer"}]}], "lines", "type mismatch"),
        ([{"target": "carrier", "each": "x[*]", "rules": [{"target": "a", "value": 1}]}], "carrier", "type mismatch"),
        ([{"target": "lines.sku", "source": "x"}], "lines.sku", "'lines' is a list: build it with an `each` rule"),
        ([{"target": "status", "value": "lost"}], "status", "'lost' is not an allowed value"),
        (
            [{"target": "status", "source": "s", "transforms": [{"op": "lookup", "values": {"A": "Picked"}}]}],
            "status",
            "'Picked'",
        ),
        ([{"target": "carrier", "template": "{a!r}"}], "carrier", "conversions are not supported"),
        ([{"target": "carrier", "template": "plain"}], "carrier", "no {field}"),
        ([{"target": "carrier", "source": "$parent.x"}], "carrier", "inside an `each` rule"),
        (
            [{"target": "carrier", "source": "a", "when": {"path": "b"}}],
            "carrier",
            "`when` needs a `path` and exactly one",
        ),
        (
            [{"target": "lines", "each": "x[*]", "rules": [{"target": "skew", "source": "a"}]}],
            "lines[].skew",
            "is not a field of the shipment standard",
        ),
        ([{"target": "lines", "each": "x[*]", "rules": []}], "lines", "non-empty `rules`"),
        ("not a list", "(mapping)", "rules must be a list"),
    ],
)
def test_save_time_validation_names_the_rule(rules, rule, message):
    with pytest.raises(MappingInvalid) as caught:
        compile_mapping(rules, standard="shipment", direction="read")
    assert caught.value.errors[0]["rule"] == rule
    assert message in caught.value.errors[0]["message"]
    assert rule in str(caught.value)


def test_every_problem_is_reported_at_once_and_bad_standard_or_direction():
    with pytest.raises(MappingInvalid) as caught:
        compile_mapping(
            [{"target": "nope", "source": "a"}, {"target": "carrier", "source": "b", "transforms": [{"op": "x"}]}],
            standard="shipment",
            direction="read",
        )
    assert [e["rule"] for e in caught.value.errors] == ["nope", "carrier"]
    with pytest.raises(MappingInvalid, match="unknown standard 'invoice'"):
        compile_mapping([], standard="invoice", direction="read")
    with pytest.raises(MappingInvalid, match="direction must be read or write"):
        compile_mapping([], standard="shipment", direction="sideways")


def test_write_direction_sources_must_be_standard_fields():
    with pytest.raises(MappingInvalid) as caught:
        compile_mapping(
            [{"target": "shipping_city", "source": "ship_to.citty"}], standard="shipment", direction="write"
        )
    assert caught.value.errors[0] == {
        "rule": "shipping_city",
        "message": "source 'ship_to.citty' is not a field of the shipment standard",
    }


def test_numbers_become_text_for_text_fields_and_decimals_numbers_for_number_fields():
    rules = [
        {"target": "sku", "source": "id"},
        {"target": "name", "source": "title"},
        {"target": "weight.value", "source": "weight", "transforms": [{"op": "to_decimal"}]},
        {"target": "weight.unit", "value": "lb"},
        {"target": "tags", "source": "tag"},
    ]
    result = compile_mapping(rules, standard="product", direction="read").apply(
        {"id": 1058, "title": "Coat", "weight": "82.44", "tag": "winter"}
    )
    assert result.output == {
        "sku": "1058",
        "name": "Coat",
        "weight": {"value": 82.44, "unit": "lb"},
        "tags": ["winter"],
    }


def test_shipped_default_mapping_files_compile():
    from connectors.mapping.defaults import load_default_mapping, shipped_defaults

    shipped = shipped_defaults()
    # NetSuite and Whiplash ship defaults in both directions.
    assert {slug for slug, _, _ in shipped} >= {"netsuite", "whiplash"}
    assert {direction for _, _, direction in shipped} == {"read", "write"}
    for slug, stream, direction in shipped:
        document = load_default_mapping(slug, stream, direction)
        mapping = compile_mapping(
            document["rules"], standard=document["standard"], direction=direction, lookups=document["lookups"]
        )
        assert (mapping.standard, mapping.direction) == (document["standard"], direction), (slug, stream)
        if direction == "read":
            # A shipped read default sets every required field of its standard.
            assert mapping.is_complete, (slug, stream, mapping.missing_required)
