"""Loading the standard schema files, inlining the shared types, and listing their fields."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).parent / "schemas"
CURRENT_VERSION = "v1"
STANDARD_NAMES = ("product", "shipment", "inventory_level", "order", "location")
COMMON_REF = "common.json#/$defs/"


class UnknownStandard(KeyError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"Unknown standard {self.name!r}; known: {', '.join(STANDARD_NAMES)}."


def _read(version: str, filename: str) -> dict:
    return json.loads((SCHEMA_DIR / version / filename).read_text(encoding="utf-8"))


def _inline(node, defs: dict):
    """Replace `$ref`s to the shared types by the type itself, keeping the field's own description
    and examples, so each standard is one self-contained schema."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMMON_REF):
            target = _inline(copy.deepcopy(defs[ref[len(COMMON_REF) :]]), defs)
            extras = {k: _inline(v, defs) for k, v in node.items() if k != "$ref"}
            return {**target, **extras}
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


@cache
def _load(name: str, version: str) -> dict:
    if name not in STANDARD_NAMES:
        raise UnknownStandard(name)
    defs = _read(version, "common.json")["$defs"]
    return _inline(_read(version, f"{name}.json"), defs)


def get_standard(name: str, version: str = CURRENT_VERSION) -> dict:
    """The standard's JSON Schema (a copy: callers may change it freely)."""
    return copy.deepcopy(_load(name, version))


def schema_of(name: str, version: str = CURRENT_VERSION) -> dict:
    """The cached schema itself, for internal read-only use (validators, mapping checks)."""
    return _load(name, version)


def _type_label(node: dict) -> str:
    props = node.get("properties", {})
    if node.get("type") == "object" and set(props) == {"amount", "currency"}:
        return "money"
    if node.get("type") == "array":
        return f"list of {_type_label(node.get('items', {}))}"
    return node.get("format") or node.get("type", "any")


def _walk(node: dict, prefix: str, parent_required: bool, out: list) -> None:
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        entry = {
            "path": path,
            "type": _type_label(child),
            "required": key in required and parent_required,
            "description": child.get("description", ""),
            "example": (child.get("examples") or [None])[0],
        }
        if "enum" in child:
            entry["enum"] = list(child["enum"])
        out.append(entry)
        if child.get("type") == "object" and "properties" in child:
            _walk(child, f"{path}.", entry["required"], out)
        elif child.get("type") == "array" and isinstance(child.get("items"), dict) and "properties" in child["items"]:
            _walk(child["items"], f"{path}[].", entry["required"], out)


@cache
def _fields(name: str, version: str) -> tuple:
    out: list[dict] = []
    _walk(_load(name, version), "", True, out)
    return tuple(out)


def fields_of(name: str, version: str = CURRENT_VERSION) -> list[dict]:
    """Every field of the standard, nested ones as `ship_to.city` and list elements as `lines[].sku`.
    `required` is true when a complete record must carry the field."""
    return [dict(f) for f in _fields(name, version)]


def field_index(name: str, version: str = CURRENT_VERSION) -> dict[str, dict]:
    """Field path -> schema node, for `ship_to.city` and `lines[].sku` alike."""
    index: dict[str, dict] = {}

    def walk(node: dict, prefix: str) -> None:
        for key, child in node.get("properties", {}).items():
            path = f"{prefix}{key}"
            index[path] = child
            if child.get("type") == "object":
                walk(child, f"{path}.")
            elif child.get("type") == "array" and isinstance(child.get("items"), dict):
                walk(child["items"], f"{path}[].")

    walk(_load(name, version), "")
    return index


def list_standards(version: str = CURRENT_VERSION) -> list[dict]:
    result = []
    for name in STANDARD_NAMES:
        schema = _load(name, version)
        result.append(
            {
                "name": name,
                "version": schema.get("x-version", version),
                "title": schema.get("title", name),
                "description": schema.get("description", ""),
                "fields": fields_of(name, version),
            }
        )
    return result
