"""A Shopify sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import cache

from connectors.sandbox import SandboxServer
from connectors.shopify.client import CostModel
from connectors.shopify.connector import ShopifyConnector
from ekyam.http import HttpClient

MAIN = "gid://shopify/Location/1001"
POPUP = "gid://shopify/Location/1002"
CLOSED = "gid://shopify/Location/1003"


class Sandbox:
    def __init__(self, server: SandboxServer):
        self.server = server
        self.app = server.app
        self.url = server.url

    def knobs(self, **values):
        requests.post(f"{self.url}/_sandbox/knobs", json=values, timeout=5).raise_for_status()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def available(self, sku: str, location: str = MAIN) -> int | None:
        return self.state()["levels"].get(sku, {}).get(location)

    def fire(self, **event) -> dict:
        response = requests.post(f"{self.url}/_sandbox/fire", json=event, timeout=15)
        response.raise_for_status()
        return response.json()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """SKU/location ids and last-written quantities live in the Django cache: start each test clean."""
    cache.clear()
    CostModel._shared.clear()
    yield
    cache.clear()


@pytest.fixture
def shopify():
    server = SandboxServer(ShopifyConnector.sandbox_app(seed=42, records=12)).start()
    try:
        yield Sandbox(server)
    finally:
        server.stop()


@pytest.fixture
def connect(shopify):
    def build(**overrides):
        credentials = {**ShopifyConnector.sandbox_credentials(shopify.url), **overrides}
        return ShopifyConnector(credentials, http=HttpClient(backoff_base=0.01, backoff_max=0.05, read_timeout=5))

    return build


def skus(shopify, count=None) -> list[str]:
    return [item["sku"] for item in list(shopify.app.items.values())[:count]]
