"""The registry of every event Ekyam emits: dotted type, version, JSON Schema of `data`, example.

Each app declares the events it emits in `<app>/event_types.py` as `EVENT_TYPES = [EventType(...), ...]`
(see `ekyam.app_hooks`); the registry gathers them once. Endpoints subscribe to these types;
`GET /api/v1/event-types/` lists them. An event's body on the wire is `{"type", "timestamp", "data"}`
where `data` follows the type's schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    schema: dict
    example: dict
    version: int = 1

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def as_dict(self) -> dict:
        return {
            "type": self.name,
            "version": self.version,
            "group": self.group,
            "description": self.description,
            "schema": self.schema,
            "example": self.example,
        }


def object_schema(properties: dict, required: list[str]) -> dict:
    """The JSON Schema of an event's `data`: an object with these properties (more are allowed)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
    }


INT = {"type": "integer"}
STR = {"type": "string"}


@lru_cache(maxsize=1)
def event_types() -> dict[str, EventType]:
    """Every app's declared event types, by name (in app order)."""
    from ekyam.app_hooks import hook_modules

    found: dict[str, EventType] = {}
    for module in hook_modules("event_types"):
        for event_type in module.EVENT_TYPES:
            if event_type.name in found:
                raise ImproperlyConfigured(f"Event type {event_type.name!r} is declared twice ({module.__name__}).")
            found[event_type.name] = event_type
    return found


def get_event_type(name: str) -> EventType | None:
    return event_types().get(name)


def list_event_types() -> list[dict]:
    return [e.as_dict() for e in event_types().values()]


def type_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in event_types()]
