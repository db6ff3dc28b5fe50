import pytest

from connectors.mapping.engine import MappingInvalid, compile_mapping

from .helpers import one


def value(transforms, source_value, **extra):
    out, errors = one({"source": "v", "transforms": transforms}, {"v": source_value, **extra})
    assert errors == [], errors
    return out


def error(transforms, source_value, **extra):
    out, errors = one({"source": "v", "transforms": transforms}, {"v": source_value, **extra})
    assert out is None and len(errors) == 1
    return errors[0]


def test_text_ops():
    assert value([{"op": "trim"}], "  a b ") == "a b"
    assert value([{"op": "upper"}], "us") == "US"
    assert value([{"op": "lower"}], "Jane@Example.COM") == "jane@example.com"
    assert value([{"op": "upper"}], 12) == "12"
    assert value([{"op": "prefix", "value": "NS-"}], 9001) == "NS-9001"
    assert value([{"op": "trim"}, {"op": "upper"}], [" a", "b "]) == ["A", "B"]
    assert error([{"op": "upper"}], {"x": 1}).message.startswith("expected text")


def test_to_integer():
    assert value([{"op": "to_integer"}], "12") == 12
    assert value([{"op": "to_integer"}], "1,200") == 1200
    assert value([{"op": "to_integer"}], 3.0) == 3
    assert value([{"op": "to_integer"}], "4.00") == 4
    assert value([{"op": "to_integer"}], [1, "2"]) == [1, 2]
    bad = error([{"op": "to_integer"}], "2.5")
    assert bad.value == "2.5" and "not a whole number" in bad.message
    assert error([{"op": "to_integer"}], True).message.endswith("is not a whole number")


def test_to_decimal_and_places():
    assert value([{"op": "to_decimal"}], "19.990") == "19.990"
    assert value([{"op": "to_decimal", "places": 2}], 6.425) == "6.42"
    assert error([{"op": "to_decimal"}], "abc").message == "'abc' is not a number"


def test_to_boolean():
    assert value([{"op": "to_boolean"}], "Yes") is True
    assert value([{"op": "to_boolean"}], "F") is False
    assert value([{"op": "to_boolean"}], 1) is True
    assert error([{"op": "to_boolean"}], "maybe").message == "'maybe' is not a yes/no value"


def test_to_date_with_format_and_timezone():
    assert value([{"op": "to_date"}], "2025-12-19") == "2025-12-19"
    assert value([{"op": "to_date"}], "2025-12-19T15:09:00Z") == "2025-12-19"
    assert value([{"op": "to_date", "format": "%m/%d/%Y"}], "12/1/2025") == "2025-12-01"
    # 02:00 UTC is still the previous day in New York.
    assert value([{"op": "to_date", "timezone": "America/New_York"}], "2025-12-20T02:00:00Z") == "2025-12-19"
    assert error([{"op": "to_date"}], "19/12/2025").message == "'19/12/2025' is not a date in ISO 8601"
    assert "format %m/%d/%Y" in error([{"op": "to_date", "format": "%m/%d/%Y"}], "2025-12-19").message


def test_to_datetime_with_format_and_timezone():
    assert value([{"op": "to_datetime"}], "2025-12-19T15:09:00Z") == "2025-12-19T15:09:00+00:00"
    assert value([{"op": "to_datetime"}], "2025-12-19T15:09:00") == "2025-12-19T15:09:00+00:00"
    assert (
        value([{"op": "to_datetime", "format": "%m/%d/%Y %H:%M", "timezone": "America/New_York"}], "12/19/2025 10:30")
        == "2025-12-19T10:30:00-05:00"
    )
    assert value([{"op": "to_datetime"}], 0) == "1970-01-01T00:00:00+00:00"
    assert error([{"op": "to_datetime"}], "soon").value == "soon"


def test_convert_unit_fixed_and_from_path():
    assert value([{"op": "convert_unit", "from": "lb", "to": "kg"}], 1) == 0.453592
    assert value([{"op": "convert_unit", "from": "oz", "to": "g"}], "2") == 56.699046
    assert value([{"op": "convert_unit", "from": "in", "to": "cm"}], 10) == 25.4
    assert value([{"op": "convert_unit", "from": "m", "to": "mm"}], 1.5) == 1500
    assert value([{"op": "convert_unit", "from_path": "unit", "to": "g"}], 1, unit="Kilograms") == 1000
    assert value([{"op": "convert_unit", "from_path": "unit.refName", "to": "oz"}], 1, unit={"refName": "lbs"}) == 16
    bad = error([{"op": "convert_unit", "from_path": "unit", "to": "kg"}], 1, unit="cm")
    assert bad.value == "cm" and "incompatible unit" in bad.message


def test_lookup_table_inline_default_strict_and_field():
    lookups = {"status": {"A": "picked", "B": "packed", "C": "shipped"}}
    out, errors = one({"source": "v", "transforms": [{"op": "lookup", "table": "status"}]}, {"v": "C"}, lookups=lookups)
    assert out == "shipped" and not errors
    out, errors = one({"source": "v", "transforms": [{"op": "lookup", "table": "status"}]}, {"v": "Z"}, lookups=lookups)
    assert out is None and errors[0].message == "unknown value 'Z' for lookup table 'status'" and errors[0].value == "Z"
    assert value([{"op": "lookup", "values": {"1": "lb"}}], 1) == "lb"
    assert value([{"op": "lookup", "values": {"1": "lb"}, "default": "kg"}], 2) == "kg"
    assert value([{"op": "lookup", "values": {"1": "lb"}, "strict": False}], "oz") == "oz"
    methods = {"1234": {"carrier": "UPS", "service_level": "UPS Ground"}}
    assert value([{"op": "lookup", "values": methods, "field": "carrier"}], "1234") == "UPS"


def test_default_split_join_money():
    assert value([{"op": "default", "value": "n/a"}], "") == "n/a"
    out, _ = one({"source": "missing", "transforms": [{"op": "default", "value": 0}]}, {})
    assert out == 0
    assert value([{"op": "split", "separator": ","}], "cotton, comfortable,") == ["cotton", "comfortable"]
    assert value([{"op": "split", "separator": "#", "index": -1}], "Sales Order #SO-1001") == "SO-1001"
    assert value([{"op": "split", "separator": "#", "index": 5}], "a#b") is None
    assert value([{"op": "join", "separator": ", "}], ["a", None, "b"]) == "a, b"
    assert value([{"op": "money", "currency": "usd"}], 6.5) == {"amount": "6.50", "currency": "USD"}
    assert value([{"op": "money", "currency_path": "cur"}], "19.999", cur="eur") == {
        "amount": "19.999",
        "currency": "EUR",
    }
    assert error([{"op": "money", "currency_path": "cur"}], "1.00").message.startswith(
        "no ISO currency code at options.cur"
    )
    assert error([{"op": "money", "currency": "USD"}], "free").message == "'free' is not a number"


def test_none_passes_through_every_op():
    for spec in [{"op": "trim"}, {"op": "to_integer"}, {"op": "to_date"}, {"op": "money", "currency": "USD"}]:
        out, errors = one({"source": "missing", "transforms": [spec]}, {})
        assert out is None and errors == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"op": "frobnicate"}, "unknown transform 'frobnicate'"),
        ({"op": "trim", "extra": 1}, "unknown option(s) extra for transform 'trim'"),
        ({"op": "prefix"}, "transform 'prefix' needs value"),
        ({"op": "to_date", "timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
        ({"op": "to_date", "format": "YYYY"}, "strptime format"),
        ({"op": "convert_unit", "from": "lb", "to": "cm"}, "cannot convert lb (weight) to cm (length)"),
        ({"op": "convert_unit", "from": "stone", "to": "kg"}, "unknown unit 'stone'"),
        ({"op": "lookup", "table": "nope"}, "lookup table 'nope' does not exist"),
        ({"op": "money", "currency": "dollars"}, "ISO 4217"),
        ({"op": "split", "separator": ""}, "separator"),
        ("trim", "must be an object with an `op`"),
    ],
)
def test_bad_transform_specs_are_rejected_naming_the_rule(spec, message):
    with pytest.raises(MappingInvalid) as caught:
        compile_mapping(
            [{"target": "out", "source": "options.v", "transforms": [spec]}], standard="product", direction="write"
        )
    assert caught.value.errors[0]["rule"] == "out"
    assert message in caught.value.errors[0]["message"]
