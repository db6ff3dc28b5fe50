"""Default mappings shipped by vendor packages as data files.

`connectors/<vendor>/mappings/<stream>.<direction>.json` =
`{"standard": "shipment", "rules": [...], "lookups": {"<name>": {...}}}`. Vendor engineers write
these files; the wizard starts a new connection's mapping from them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CONNECTORS_DIR = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class DefaultMappingError(ValueError):
    pass


def default_mapping_path(connector_slug: str, stream: str, direction: str, base_dir: Path | None = None) -> Path:
    for label, value in (("connector", connector_slug), ("stream", stream), ("direction", direction)):
        if not isinstance(value, str) or not _NAME.match(value):
            raise DefaultMappingError(f"invalid {label} name {value!r}")
    return (base_dir or CONNECTORS_DIR) / connector_slug / "mappings" / f"{stream}.{direction}.json"


def load_default_mapping(connector_slug: str, stream: str, direction: str, base_dir: Path | None = None) -> dict | None:
    """The vendor's default mapping for a stream and direction, or None when it ships none.
    Raises DefaultMappingError when the file exists but is not a usable mapping document."""
    path = default_mapping_path(connector_slug, stream, direction, base_dir)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DefaultMappingError(f"{path.name} of {connector_slug} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise DefaultMappingError(f"{path.name} of {connector_slug} needs a `rules` list")
    if not isinstance(document.get("standard"), str):
        raise DefaultMappingError(f"{path.name} of {connector_slug} needs a `standard`")
    lookups = document.get("lookups") or {}
    if not isinstance(lookups, dict) or not all(isinstance(v, dict) for v in lookups.values()):
        raise DefaultMappingError(f"{path.name} of {connector_slug}: `lookups` must map names to objects")
    return {"standard": document["standard"], "rules": document["rules"], "lookups": lookups}


def shipped_defaults(base_dir: Path | None = None) -> list[tuple[str, str, str]]:
    """(connector, stream, direction) of every default mapping file present."""
    found = []
    for path in sorted((base_dir or CONNECTORS_DIR).glob("*/mappings/*.json")):
        stream, _, direction = path.stem.rpartition(".")
        if stream and direction in ("read", "write"):
            found.append((path.parent.parent.name, stream, direction))
    return found
