import pytest

from connectors.mapping.paths import WILDCARD, PathError, compile_getter, parse_path, parse_target

RECORD = {
    "shippingAddress": {"country": {"id": "US"}},
    "item": {"items": [{"quantity": 2, "tags": ["a", "b"]}, {"quantity": 3, "tags": ["c"]}, {"other": 1}]},
    "label": "text",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("shippingAddress.country.id", "US"),
        ("item.items[0].quantity", 2),
        ("item.items[-1].other", 1),
        ("item.items[*].quantity", [2, 3]),
        ("item.items[*].tags[*]", ["a", "b", "c"]),
        ("item.items[*].tags[0]", ["a", "c"]),
        ("item.items[5].quantity", None),
        ("missing.path", None),
        ("label.deeper", None),
        ("shippingAddress[0]", None),
        ("item.items[*]", RECORD["item"]["items"]),
        ("label[*]", None),
    ],
)
def test_path_forms(path, expected):
    assert compile_getter(path)(RECORD) == expected


def test_parse_steps():
    assert parse_path("item.items[*].tags[0]") == ("item", "items", WILDCARD, "tags", 0)
    assert parse_path("custbody_x-y") == ("custbody_x-y",)


@pytest.mark.parametrize("bad", ["", "a..b", "a.", ".a", "a[x]", "[0]", "a[", "a]b", " a", None, 5])
def test_unparseable_paths_are_rejected(bad):
    with pytest.raises(PathError):
        parse_path(bad)


def test_targets_are_plain_dotted_names():
    assert parse_target("ship_to.city") == ("ship_to", "city")
    with pytest.raises(PathError, match="each"):
        parse_target("lines[0].sku")
    with pytest.raises(PathError):
        parse_target("$parent.x")


def test_getter_does_not_evaluate_path_text_as_code():
    key = "__import__('os').system('false')"
    assert compile_getter("a")({"a": key}) == key
    assert compile_getter(key.replace(".", "_").replace("(", "_").replace(")", "_"))({}) is None
