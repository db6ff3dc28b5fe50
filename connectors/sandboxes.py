"""Where the vendor sandboxes listen under `make run`, and how the demo connects to them."""

from __future__ import annotations

from ekyam.env import env_int

SANDBOX_BASE_PORT = env_int("EKYAM_SANDBOX_BASE_PORT", 8101, minimum=1)
SANDBOX_ORDER = ["netsuite", "whiplash", "shopify"]


def sandbox_port(slug: str) -> int:
    return SANDBOX_BASE_PORT + SANDBOX_ORDER.index(slug)


def sandbox_url(slug: str) -> str:
    return f"http://127.0.0.1:{sandbox_port(slug)}"


def sandboxed_connectors():
    from connectors.registry import all_connectors

    return [c for c in all_connectors() if c.slug in SANDBOX_ORDER and _has_sandbox(c)]


def _has_sandbox(connector) -> bool:
    from connectors.base import Connector

    return connector.sandbox_app.__func__ is not Connector.sandbox_app.__func__
