"""Ransack-style search predicates, as the Whiplash API's JSON `search` parameter takes them."""

from __future__ import annotations

from connectors.whiplash.sandbox.data import _parse_time


def _matches(record: dict, search: dict, resolve) -> bool:
    """Ransack-style predicates over `record`; `resolve(record, attribute)` reads an attribute."""
    for key, expected in search.items():
        if key == "m":
            continue
        for suffix in ("_gteq", "_lteq", "_cont", "_eq", "_in", "_gt", "_lt"):
            if key.endswith(suffix):
                attribute, op = key[: -len(suffix)], suffix[1:]
                break
        else:
            raise ValueError(f"unsupported search predicate {key!r}")
        actual = resolve(record, attribute)
        if attribute.endswith("_at") and op in ("gt", "gteq", "lt", "lteq"):
            actual, expected = _parse_time(actual), _parse_time(expected)
            if actual is None or expected is None:
                return False
        if op == "eq" and str(actual) != str(expected):
            return False
        if op == "in" and str(actual) not in {str(v) for v in expected}:
            return False
        if op == "cont" and str(expected).lower() not in str(actual or "").lower():
            return False
        if op == "gt" and not actual > expected:
            return False
        if op == "gteq" and not actual >= expected:
            return False
        if op == "lt" and not actual < expected:
            return False
        if op == "lteq" and not actual <= expected:
            return False
    return True
