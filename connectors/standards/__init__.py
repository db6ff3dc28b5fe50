"""Ekyam Data Standards: the entities every reader maps onto and every writer maps from.

The standards are versioned JSON Schema files in `schemas/<version>/` (a description and an example
for every field). Public API, used across the project:

    from connectors.standards import get_standard, list_standards, validate
    get_standard("shipment")            -> dict, the JSON Schema (shared types inlined)
    list_standards()                    -> [{"name", "version", "title", "description", "fields"}]
    validate("shipment", record)        -> [Violation(path, message)], [] when valid
"""

from connectors.standards.loader import (
    STANDARD_NAMES,
    UnknownStandard,
    field_index,
    fields_of,
    get_standard,
    list_standards,
)
from connectors.standards.validation import Violation, is_valid, validate

__all__ = [
    "STANDARD_NAMES",
    "UnknownStandard",
    "Violation",
    "field_index",
    "fields_of",
    "get_standard",
    "is_valid",
    "list_standards",
    "validate",
]
