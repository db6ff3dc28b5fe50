"""The engine's edge check on source records, before any mapping or write.

PostgreSQL cannot store the NUL character (U+0000) in text or JSON columns. A source record carrying one
would be written to the destination and then fail the batch's commit (lineage, events, record errors), so
the run would die after the vendor already has the data. Such a record is rejected here instead, with a
record error that names the field; the payload kept on the record error has the NULs replaced by U+FFFD
(so it can be stored, shown and edited for a retry).
"""

from __future__ import annotations

NUL = "\x00"
REPLACEMENT = "\ufffd"


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def nul_paths(value, path: str = "", found: list | None = None, limit: int = 5) -> list[str]:
    """The paths (`a.b[2].c`) of up to `limit` strings, or object keys, that contain a NUL character."""
    found = [] if found is None else found
    if len(found) >= limit:
        return found
    if isinstance(value, str):
        if NUL in value:
            found.append(path or "(record)")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = _join(path, str(key).replace(NUL, REPLACEMENT))
            if isinstance(key, str) and NUL in key:
                found.append(child)
            nul_paths(item, child, found, limit)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            nul_paths(item, _join(path, index), found, limit)
    return found


def scrub(value):
    """A copy of `value` with every NUL character (in strings and keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, dict):
        return {(k.replace(NUL, REPLACEMENT) if isinstance(k, str) else k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def nul_error(paths: list[str]) -> tuple[str, dict]:
    """The record error's message and details for a record with NUL characters."""
    fields = ", ".join(paths)
    message = (
        f"{fields}: contains a NUL character (\\u0000), which cannot be stored. "
        "Remove it at the source (or edit the record here) and retry."
    )
    return message, {
        "errors": [{"rule": "nul_character", "source_path": p, "message": "contains \\u0000"} for p in paths]
    }
