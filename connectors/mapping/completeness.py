"""Whether an organization's mappings cover their standards' required fields (the wizard's step 3)."""

from __future__ import annotations

from connectors.mapping.models import Mapping
from connectors.models import Connection
from ekyam.tenancy import scoped


def complete_read_mappings(organization):
    """Read mappings of the organization whose current version covers every required field."""
    found = []
    for mapping in scoped(Mapping, organization).filter(direction="read").select_related("connection"):
        version = mapping.current_version()
        if version is not None and version.is_complete:
            found.append(mapping)
    return found


def mapping_state(connection: Connection, stream: str, direction: str = "read") -> str:
    """missing, incomplete or complete: the state of a connection's mapping of one stream."""
    mapping = Mapping.objects.filter(connection=connection, stream=stream, direction=direction).first()
    version = mapping.current_version() if mapping else None
    if version is None:
        return "missing"
    return "complete" if version.is_complete else "incomplete"
