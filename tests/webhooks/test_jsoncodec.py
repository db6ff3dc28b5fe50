"""The event path's JSON: orjson, and the standard library for what orjson refuses, so no event is
lost over a number."""

import json
from decimal import Decimal

from ekyam.events import jsoncodec


def test_compact_utf8_like_the_standard_library():
    value = {"type": "shipment.synced", "data": {"note": "café ✓", "qty": 3, "ok": True, "none": None}}
    assert jsoncodec.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert jsoncodec.loads(jsoncodec.dumps(value)) == value


def test_values_orjson_refuses_fall_back():
    huge = {"id": 2**70, 1: "integer key"}
    assert json.loads(jsoncodec.dumps(huge)) == {"id": 2**70, "1": "integer key"}
    assert jsoncodec.loads(b'{"x": NaN}')["x"] != jsoncodec.loads(b'{"x": NaN}')["x"]  # NaN, read
    assert json.loads(jsoncodec.dumps({"amount": Decimal("1.10")}, default=str)) == {"amount": "1.10"}
