"""The registry of connector types. Each vendor package registers its class on import."""

from __future__ import annotations

import importlib

from connectors.base import Connector

VENDOR_PACKAGES = ["connectors.netsuite", "connectors.whiplash", "connectors.shopify"]

_registry: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: `@register class NetSuiteConnector(Connector): …`."""
    _registry[cls.slug] = cls
    return cls


def _load() -> None:
    for package in VENDOR_PACKAGES:
        try:
            importlib.import_module(f"{package}.connector")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.connector" and exc.name != package:
                raise


def all_connectors() -> list[type[Connector]]:
    _load()
    return sorted(_registry.values(), key=lambda c: c.name)


def get_connector(slug: str) -> type[Connector]:
    _load()
    try:
        return _registry[slug]
    except KeyError:
        raise LookupError(f"Unknown connector type {slug!r}; known: {', '.join(sorted(_registry))}.") from None
