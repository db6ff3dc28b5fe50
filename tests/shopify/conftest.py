"""A Shopify sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from connectors.shopify.client import CostModel
from connectors.shopify.connector import ShopifyConnector
from ekyam.http import HttpClient
from tests.sandboxes import Sandbox, sandbox_fixture

MAIN = "gid://shopify/Location/1001"
POPUP = "gid://shopify/Location/1002"
CLOSED = "gid://shopify/Location/1003"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """SKU/location ids and last-written quantities live in the Django cache: start each test clean."""
    cache.clear()
    CostModel._shared.clear()
    yield
    cache.clear()


class ShopifySandbox(Sandbox):
    def available(self, sku: str, location: str = MAIN) -> int | None:
        return self.state()["levels"].get(sku, {}).get(location)


shopify = sandbox_fixture(ShopifyConnector, wrapper=ShopifySandbox, seed=42, records=12)


@pytest.fixture
def connect(shopify):
    def build(**overrides):
        credentials = {**ShopifyConnector.sandbox_credentials(shopify.url), **overrides}
        return ShopifyConnector(credentials, http=HttpClient(backoff_base=0.01, backoff_max=0.05, read_timeout=5))

    return build


def skus(shopify, count=None) -> list[str]:
    return [item["sku"] for item in list(shopify.app.items.values())[:count]]
