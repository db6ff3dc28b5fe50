"""A Whiplash sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

import pytest

from connectors.models import Connection
from connectors.whiplash.connector import WhiplashConnector
from ekyam.http import HttpClient
from tests.sandboxes import sandbox_fixture

whiplash = sandbox_fixture(WhiplashConnector, seed=42, records=12, rate_limit=0)


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


def refresh_token_connection(org, whiplash, refresh_token: str, **credentials) -> Connection:
    """A saved connection to the sandbox on the refresh-token flow (no client-side rate limit), with any
    further `credentials`."""
    connection = Connection(organization=org, connector_type="whiplash", name="Whiplash")
    connection.set_credentials(
        {
            **WhiplashConnector.sandbox_credentials(whiplash.url),
            "auth_flow": "refresh_token",
            "refresh_token": refresh_token,
            "requests_per_second": "0",
            **credentials,
        }
    )
    connection.save()
    return connection


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
