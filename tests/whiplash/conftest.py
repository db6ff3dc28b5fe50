"""A Whiplash sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

import pytest
import requests

from connectors.sandbox import SandboxServer
from connectors.whiplash.connector import WhiplashConnector
from ekyam.http import HttpClient


class Sandbox:
    def __init__(self, server: SandboxServer):
        self.server = server
        self.app = server.app
        self.url = server.url

    def knobs(self, **values):
        requests.post(f"{self.url}/_sandbox/knobs", json=values, timeout=5).raise_for_status()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def orders(self) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/orders", timeout=5).json()

    def fire(self, **event) -> dict:
        response = requests.post(f"{self.url}/_sandbox/fire", json=event, timeout=15)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def whiplash():
    server = SandboxServer(WhiplashConnector.sandbox_app(seed=42, records=12, rate_limit=0)).start()
    try:
        yield Sandbox(server)
    finally:
        server.stop()


def fast_http(**overrides) -> HttpClient:
    # Backoff at a hundredth of the real scale; the cap still lets the sandbox's `Retry-After: 1` be honoured.
    options = {"backoff_base": 0.01, "backoff_max": 1.5, "read_timeout": 5}
    return HttpClient(**{**options, **overrides})


@pytest.fixture
def connect(whiplash):
    """connect(**credential_overrides, http=…) → (connector, list of credential updates it reported)."""

    def build(http=None, **overrides):
        credentials = {**WhiplashConnector.sandbox_credentials(whiplash.url), "requests_per_second": "0", **overrides}
        updates: list[dict] = []
        connector = WhiplashConnector(credentials, http=http or fast_http(), on_credentials_changed=updates.append)
        return connector, updates

    return build


def shipment_order(city="Portland", sku="TSHIRT-BLA-S", quantity=2, **extra) -> dict:
    """A Whiplash order payload as the Shipment write mapping produces it."""
    return {
        "email": "jane@example.com",
        "shipping_name": "Jane Smith",
        "shipping_address_1": "456 Oak Avenue",
        "shipping_city": city,
        "shipping_state": "OR",
        "shipping_zip": "97201",
        "shipping_country": "US",
        "shop_shipping_method_text": "UPS Ground",
        "public_note": "Gift wrap please",
        "order_items_attributes": [{"sku": sku, "quantity": quantity, "description": "T-Shirt"}],
        **extra,
    }
