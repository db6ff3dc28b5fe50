"""The workflows' view of the mapping app (`connectors.mapping`): current and pinned versions, compiled.

A run pins the versions current when it first starts and uses exactly those until it ends (a resumed run
too), so a mapping saved mid-run never mixes two versions in one run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps


@dataclass
class PinnedMapping:
    mapping_id: int
    version_id: int
    number: int
    name: str
    direction: str
    standard: str
    rules: list
    is_complete: bool
    compiled: Any  # has .apply(record) -> MapResult(output, errors)
    missing: list | None = None  # required fields left unmapped, as the mapping app computed them


def _models():
    return apps.get_model("mapping", "Mapping"), apps.get_model("mapping", "MappingVersion")


def belongs_to(mapping_id: int, organization) -> bool:
    """Whether the mapping is one of the organization's (a workflow pins only its own)."""
    from ekyam.tenancy import scoped

    return scoped(_models()[0], organization).filter(pk=mapping_id).exists()


def _pin(version) -> PinnedMapping:
    mapping = version.mapping
    return PinnedMapping(
        mapping_id=mapping.pk,
        version_id=version.pk,
        number=version.number,
        name=mapping.name,
        direction=mapping.direction,
        standard=mapping.standard,
        rules=version.rules,
        is_complete=bool(version.is_complete),
        compiled=version.compiled(),
        missing=list(getattr(version, "missing_required", None) or []),
    )


def _installed_models():
    """The mapping app's two models, or None when the app is not installed."""
    try:
        return _models()
    except LookupError:
        return None


def current(mapping_id: int | None) -> PinnedMapping | None:
    """The newest version of a mapping, or None when the mapping (or any version) is missing."""
    models = _installed_models() if mapping_id else None
    mapping = models[0].objects.filter(pk=mapping_id).first() if models else None
    version = mapping.current_version() if mapping else None
    return _pin(version) if version else None


def pinned(version_id: int | None) -> PinnedMapping | None:
    models = _installed_models() if version_id else None
    version = models[1].objects.select_related("mapping").filter(pk=version_id).first() if models else None
    return _pin(version) if version else None


# --- which required fields of the standard a mapping leaves out ------------------------------------------


def required_paths(schema: dict, prefix: str = "") -> list[str]:
    """Dotted paths of required fields in a JSON Schema, descending into objects and array items."""
    paths: list[str] = []
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        path = f"{prefix}{name}"
        paths.append(path)
        sub = properties.get(name) or {}
        if sub.get("type") == "object" or "properties" in sub:
            paths.extend(required_paths(sub, f"{path}."))
        elif sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            paths.extend(required_paths(sub["items"], f"{path}[*]."))
    return paths


_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


def _rule_paths(rules: list, *, direction: str, prefix: str = "") -> set[str]:
    """Paths of the standard a mapping covers: targets when reading, sources when writing."""
    covered: set[str] = set()
    for rule in rules or []:
        if "each" in rule:
            if direction == "read":
                base = f"{prefix}{rule['target']}"
                covered.add(base)
                covered |= _rule_paths(rule.get("rules", []), direction=direction, prefix=f"{base}[*].")
            else:
                each = str(rule["each"]).replace("[*]", "")
                covered.add(f"{prefix}{each}")
                covered |= _rule_paths(rule.get("rules", []), direction=direction, prefix=f"{prefix}{each}[*].")
            continue
        if direction == "read":
            covered.add(f"{prefix}{rule.get('target', '')}")
            continue
        sources = []
        if rule.get("source"):
            sources.append(rule["source"])
        sources.extend(rule.get("first_of") or [])
        sources.extend(_TEMPLATE_FIELD.findall(rule.get("template") or ""))
        for source in sources:
            source = str(source)
            covered.add(source[len("$parent.") :] if source.startswith("$parent.") else f"{prefix}{source}")
    return covered


def missing_required(pin: PinnedMapping) -> list[str]:
    """Required fields of the standard that no rule covers, e.g. ["ship_to.line1"]."""
    try:
        from connectors.standards import get_standard

        schema = get_standard(pin.standard)
    except (ImportError, LookupError, KeyError, ValueError):
        return []
    covered = _rule_paths(pin.rules, direction=pin.direction)
    # A covered parent (e.g. a whole `ship_to` object rule) covers its children.
    missing = []
    for path in required_paths(schema):
        normalized = path.replace("[*]", "")
        if any(
            normalized == c.replace("[*]", "") or normalized.startswith(c.replace("[*]", "") + ".") for c in covered
        ):
            continue
        if any(c.replace("[*]", "").startswith(normalized + ".") for c in covered):
            continue  # the object itself is built field by field
        missing.append(path)
    return missing
