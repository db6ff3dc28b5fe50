import json
from pathlib import Path

from connectors.mapping.engine import compile_mapping

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def _nest(spec):
    """Point source paths into the product standard's free-form `options` object, so a write-direction
    mapping accepts them; the record is nested the same way."""
    spec = dict(spec)
    for key in ("source", "from_path", "currency_path"):
        if isinstance(spec.get(key), str):
            spec[key] = "options." + spec[key]
    if isinstance(spec.get("transforms"), list):
        spec["transforms"] = [_nest(t) if isinstance(t, dict) else t for t in spec["transforms"]]
    return spec


def one(rule: dict, record: dict, *, lookups: dict | None = None):
    """Apply a single rule (write direction, so no standard validation of the output): (value, errors)."""
    compiled = compile_mapping(
        [{"target": "out", **_nest(rule)}], standard="product", direction="write", lookups=lookups
    )
    result = compiled.apply({"options": record})
    return (result.output or {}).get("out"), result.errors
