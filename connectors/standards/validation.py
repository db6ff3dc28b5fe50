"""Validating records against a standard.

`validate()` reports every violation with its path, through the `jsonschema` library. The mapping
engine checks millions of records, so `is_valid()` answers the yes/no question with checks compiled
once from the same schema; only a record that fails is handed to `validate()` for the details
(a test keeps the two in agreement).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cache

from jsonschema import Draft202012Validator

from connectors.standards.loader import CURRENT_VERSION, schema_of


@dataclass(frozen=True)
class Violation:
    path: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.path or '(record)'}: {self.message}"


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
}


_REQUIRED_MESSAGE = re.compile(r"^'(.+)' is a required property$")


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _messages(error) -> list[Violation]:
    path = ""
    for key in error.absolute_path:
        path = _join(path, key)
    keyword, schema, instance = error.validator, error.schema, error.instance
    if keyword == "required":
        # jsonschema reports one error per missing key, naming it only in the message.
        match = _REQUIRED_MESSAGE.match(error.message)
        missing = [match.group(1)] if match else [k for k in error.validator_value if k not in instance]
        return [Violation(_join(path, key), "is required") for key in missing]
    if keyword == "additionalProperties":
        known = set(schema.get("properties", {}))
        return [Violation(_join(path, key), "is not a field of this standard") for key in instance if key not in known]
    if keyword == "type":
        expected = schema.get("type")
        return [Violation(path, f"must be {_TYPE_NAMES.get(expected, expected)} (got {_short(instance)})")]
    if keyword == "enum":
        return [Violation(path, f"must be one of {', '.join(map(str, schema['enum']))} (got {_short(instance)})")]
    if keyword == "pattern":
        hint = schema.get("x-hint") or f"text matching {schema['pattern']}"
        return [Violation(path, f"must be {hint} (got {_short(instance)})")]
    if keyword == "minLength":
        return [Violation(path, "must not be empty")]
    if keyword == "maxLength":
        return [Violation(path, f"must be at most {schema['maxLength']} characters (got {len(instance)})")]
    if keyword == "minItems":
        return [Violation(path, f"needs at least {schema['minItems']} item(s)")]
    if keyword == "exclusiveMinimum":
        return [Violation(path, f"must be greater than {schema['exclusiveMinimum']} (got {_short(instance)})")]
    if keyword == "minimum":
        return [Violation(path, f"must be at least {schema['minimum']} (got {_short(instance)})")]
    return [Violation(path, error.message)]


@cache
def _validator(name: str, version: str) -> Draft202012Validator:
    return Draft202012Validator(schema_of(name, version))


def validate(name: str, record, version: str = CURRENT_VERSION) -> list[Violation]:
    """Every violation of `record` against the standard, in path order; [] when valid."""
    # jsonschema may report `required` once per missing key; merge and de-duplicate.
    seen: dict[tuple[str, str], Violation] = {}
    for error in _validator(name, version).iter_errors(record):
        for violation in _messages(error):
            seen.setdefault((violation.path, violation.message), violation)
    return sorted(seen.values(), key=lambda v: v.path)


# --- Compiled yes/no checks ------------------------------------------------------------------


def _scalar_check(node: dict):
    """One closure for a scalar node's type and constraints (no generator, no per-call loop)."""
    kind = node.get("type")
    search = re.compile(node["pattern"]).search if "pattern" in node else None
    allowed = frozenset(node["enum"]) if "enum" in node else None
    min_len = node.get("minLength")
    max_len = node.get("maxLength")
    low, above = node.get("minimum"), node.get("exclusiveMinimum")
    if kind == "string" and max_len is not None:
        within = _scalar_check({k: v for k, v in node.items() if k != "maxLength"})
        return lambda v: within(v) and len(v) <= max_len
    if kind == "string":
        if allowed is not None:
            return lambda v: v.__class__ is str and v in allowed
        if search is not None and min_len is not None:
            return lambda v: v.__class__ is str and len(v) >= min_len and search(v) is not None
        if search is not None:
            return lambda v: v.__class__ is str and search(v) is not None
        if min_len is not None:
            return lambda v: v.__class__ is str and len(v) >= min_len
        return lambda v: v.__class__ is str
    if kind == "boolean":
        return lambda v: v.__class__ is bool
    if kind == "integer":

        def is_integer(v):
            return v.__class__ is int or (v.__class__ is float and v.is_integer())

        check = is_integer
    elif kind == "number":

        def check(v):
            return v.__class__ is int or v.__class__ is float or v.__class__ is Decimal

    else:
        return lambda v: True
    if low is not None:
        return lambda v: check(v) and v >= low
    if above is not None:
        return lambda v: check(v) and v > above
    return check


def _compile(node: dict):
    """A function value -> bool for the subset of JSON Schema the standards use."""
    kind = node.get("type")
    if kind == "array":
        min_items = node.get("minItems", 0)
        item_check = _compile(node["items"]) if isinstance(node.get("items"), dict) else None

        def check_array(v):
            if v.__class__ is not list or len(v) < min_items:
                return False
            if item_check is not None:
                for item in v:
                    if not item_check(item):
                        return False
            return True

        return check_array
    if kind == "object":
        required = tuple(node.get("required", ()))
        props = {key: _compile(child) for key, child in node.get("properties", {}).items()}
        extra = node.get("additionalProperties", True)
        extra_check = _compile(extra) if isinstance(extra, dict) else None
        closed = extra is False

        def check_object(v):
            if v.__class__ is not dict:
                return False
            for key in required:
                if key not in v:
                    return False
            for key, item in v.items():
                check = props.get(key)
                if check is not None:
                    if not check(item):
                        return False
                elif closed or (extra_check is not None and not extra_check(item)):
                    return False
            return True

        return check_object
    return _scalar_check(node)


@cache
def compiled_check(name: str, version: str = CURRENT_VERSION):
    return _compile(schema_of(name, version))


def is_valid(name: str, record, version: str = CURRENT_VERSION) -> bool:
    return compiled_check(name, version)(record)
