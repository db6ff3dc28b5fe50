"""Compile-time checks of mappings: what a rule produces against what its target accepts, targets and
enumerated values against the standard's schema, required fields no rule sets. Problems are collected
per rule and raised together as MappingInvalid by engine.compile_mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.mapping.paths import WILDCARD
from connectors.standards import fields_of


class MappingInvalid(ValueError):
    """The mapping can never work. `errors` is a list of {"rule": <target>, "message": ...}."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        summary = "; ".join(f"{e['rule']}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"The mapping is invalid: {summary}{more}")


class Problems:
    """Compile-time problems, each naming its rule."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, rule: str, message: str) -> None:
        self.items.append({"rule": rule, "message": message})


@dataclass
class Scope:
    standard: str
    direction: str
    lookups: dict
    problems: Problems
    schema: dict | None  # read: schema node the targets live in; write: node the sources live in
    label_prefix: str = ""
    inner: bool = False
    # Normalized target ("lines[].quantity") -> source label, to name the rule behind a violation.
    sources: dict = field(default_factory=dict)
    covered: set = field(default_factory=set)
    each_targets: set = field(default_factory=set)


# --- What a rule produces vs what its target accepts -------------------------------------------

KIND_LABEL = {
    "string": "text",
    "integer": "a whole number",
    "decimal": "a decimal number",
    "number": "a number",
    "boolean": "true/false",
    "date": "a date",
    "datetime": "a date-time",
    "money": "money {amount, currency}",
    "list": "a list",
    "object": "an object",
}


def target_kind(node: dict) -> str:
    kind = node.get("type", "any")
    if kind == "string" and node.get("format") == "date":
        return "date"
    if kind == "string" and node.get("format") == "date-time":
        return "datetime"
    if kind == "object" and set(node.get("properties", {})) == {"amount", "currency"}:
        return "money"
    if kind == "array":
        return "list"
    return kind


ACCEPTS = {
    "string": {"string", "any"},
    "date": {"date", "any", "string"},
    "datetime": {"datetime", "any", "string"},
    "integer": {"integer", "any"},
    "number": {"integer", "decimal", "number", "any"},
    "boolean": {"boolean", "any"},
    "money": {"money", "any", "object"},
    "object": {"object", "any"},
    "list": {"list", "any"},
}


def value_kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "money" if set(value) == {"amount", "currency"} else "object"
    return "any"


def schema_child(node: dict | None, key) -> dict | None:
    if node is None:
        return None
    if node.get("type") == "array":
        return node.get("items") if (key is WILDCARD or isinstance(key, int)) else None
    if isinstance(key, str):
        props = node.get("properties", {})
        if key in props:
            return props[key]
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return extra
    return None


def check_target(steps: tuple, scope: Scope, label: str) -> dict | None:
    """The schema node of a read-direction target, or None after recording a problem."""
    node = scope.schema
    for position, step in enumerate(steps):
        if node.get("type") == "array":
            where = ".".join(steps[:position])
            scope.problems.add(label, f"{where!r} is a list: build it with an `each` rule")
            return None
        child = schema_child(node, step)
        if child is None:
            scope.problems.add(label, f"{'.'.join(steps)!r} is not a field of the {scope.standard} standard")
            return None
        node = child
    return node


def check_enum(rule: dict, node: dict, scope: Scope, label: str) -> None:
    """Constants and lookup results must be allowed values of an enumerated target."""
    allowed = node.get("enum")
    if not allowed:
        return
    candidates = []
    if "value" in rule and not rule.get("transforms"):
        candidates.append(rule["value"])
    for spec in rule.get("transforms") or []:
        if isinstance(spec, dict) and spec.get("op") == "lookup":
            table = spec.get("values") if "values" in spec else scope.lookups.get(spec.get("table"), {})
            if isinstance(table, dict):
                candidates = list(table.values())
            if "default" in spec:
                candidates.append(spec["default"])
    for value in candidates:
        if "field" not in rule and value not in allowed:
            scope.problems.add(label, f"{value!r} is not an allowed value (allowed: {', '.join(allowed)})")
            return


def missing_required(standard: str, scope: Scope) -> list[str]:
    """Required standard fields no rule sets. An object counts as set when a rule sets it whole
    or when each of its required fields is set; a list needs an `each` rule (or a whole-list rule)."""
    specs = [spec for spec in fields_of(standard) if spec["required"]]
    parents = {spec["path"].rsplit(".", 1)[0] for spec in specs if "." in spec["path"]}
    covered = scope.covered

    def set_by_rule(path: str) -> bool:
        if path in covered or path in scope.each_targets:
            return True
        probe = path
        while "." in probe:
            probe = probe.rsplit(".", 1)[0]
            if probe.removesuffix("[]") in covered:
                return True
        return False

    missing = []
    for spec in specs:
        path = spec["path"]
        if path in parents and not spec["type"].startswith("list"):
            continue  # an object: its own required fields decide
        if not set_by_rule(path):
            missing.append(path)
    return missing
