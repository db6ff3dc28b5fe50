"""Compiled mappings cached per process.

Versions never change, so a version's compiled form can be reused for as long as the lookup tables
it names are unchanged; the cache key carries their `updated_at` stamps. This module knows the engine,
not the models: the version and its organization's lookup tables are handed in (models.py calls it).
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from connectors.mapping.engine import CompiledMapping, compile_mapping

_CACHE: OrderedDict = OrderedDict()
_LOCK = Lock()
_MAX = 256


def table_names(rules) -> set[str]:
    names: set[str] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        for spec in rule.get("transforms") or []:
            if isinstance(spec, dict) and spec.get("op") == "lookup" and isinstance(spec.get("table"), str):
                names.add(spec["table"])
        names |= table_names(rule.get("rules"))
    return names


def lookups_for(version, tables) -> dict[str, dict]:
    """The version's own lookups, overridden by the organization's tables of the same names."""
    return {**(version.lookups or {}), **{table.name: table.values for table in tables}}


def compiled_version(version, tables) -> CompiledMapping:
    """`tables`: the organization's lookup tables the version's rules name (LookupTable rows)."""
    key = (
        version.pk,
        version.created_at.isoformat(),
        tuple(sorted((t.name, t.updated_at.isoformat()) for t in tables)),
    )
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    compiled = compile_mapping(
        version.rules,
        standard=version.mapping.standard,
        direction=version.mapping.direction,
        lookups=lookups_for(version, tables),
    )
    with _LOCK:
        _CACHE[key] = compiled
        while len(_CACHE) > _MAX:
            _CACHE.popitem(last=False)
    return compiled
