"""The outbound address guard requires globally routable addresses: refused at save (webhook endpoints,
connection base URLs and shop domains) and at connect time (both clients), whatever Python's own
`is_private` says. Development's explicit loopback allowance stays."""

from __future__ import annotations

import asyncio

import pytest

from connectors.netsuite.connector import NetSuiteConnector
from connectors.shopify.connector import ShopifyConnector
from connectors.whiplash.connector import WhiplashConnector
from ekyam import http
from ekyam.http import HttpClient, UnsafeDestination, is_public_address
from ekyam.http_async import AsyncHttpClient

NON_GLOBAL = [
    "100.100.100.200",  # cloud metadata in shared address space
    "100.64.0.1",
    "169.254.169.254",
    "10.0.0.1",
    "192.0.0.8",
    "198.18.0.1",
    "240.0.0.1",
    "0.1.2.3",
    "224.0.1.1",
    "2002:a9fe:a9fe::1",  # 6to4 wrapping 169.254.169.254
    "fec0::1",  # site-local
    "64:ff9b::a9fe:a9fe",  # NAT64
    "2001::1",  # Teredo
    "fc00::1",
    "fe80::1",
    "::ffff:100.64.0.1",
    "2001:db8::1",
]


@pytest.mark.parametrize("address", NON_GLOBAL)
def test_non_global_addresses_are_refused(address, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    assert not is_public_address(address)
    assert not http.address_allowed(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "2606:4700::1111"])
def test_global_addresses_pass(address):
    assert is_public_address(address)


def _url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}/latest/meta-data/"


@pytest.mark.parametrize("address", ["100.100.100.200", "100.64.0.1", "2002:a9fe:a9fe::1", "fec0::1"])
def test_both_clients_refuse_before_connecting(address, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination):
        HttpClient(max_retries=0, connect_timeout=0.5).get(_url(address))

    async def go():
        client = AsyncHttpClient(max_retries=0, connect_timeout=0.5)
        try:
            await client.request("GET", _url(address))
        finally:
            await client.close()

    with pytest.raises(UnsafeDestination):
        asyncio.run(go())


def test_development_keeps_its_loopback_allowance(settings):
    settings.HTTP_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    http.check_url_policy("http://127.0.0.1:9/")
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination):
        http.check_url_policy("http://127.0.0.1:9/")
    with pytest.raises(UnsafeDestination):
        http.check_url_policy("http://localhost:9/")


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["100.100.100.200", "100.64.0.1", "fec0::1", "2002:a9fe:a9fe::1"])
def test_endpoint_urls_are_refused_at_save(address, settings, client_for, developer_a):
    settings.HTTP_ALLOWED_NETWORKS = []
    host = f"[{address}]" if ":" in address else address
    response = client_for(developer_a).post(
        "/api/v1/webhook-endpoints/", {"url": f"https://{host}/latest/meta-data/"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "url" in response.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("connector", "field", "value"),
    [
        (WhiplashConnector, "base_url", "https://100.100.100.200/"),
        (WhiplashConnector, "base_url", "http://[fec0::1]/"),
        (NetSuiteConnector, "base_url", "https://100.64.0.7/"),
        (ShopifyConnector, "shop_domain", "[2002:a9fe:a9fe::1]"),
        (ShopifyConnector, "shop_domain", "100.100.100.200"),
    ],
)
def test_connection_addresses_are_refused_at_save(connector, field, value, settings, client_for, developer_a):
    settings.HTTP_ALLOWED_NETWORKS = []
    credentials = {**connector.sandbox_credentials("http://127.0.0.1:9"), field: value}
    response = client_for(developer_a).post(
        "/api/v1/connections/", {"name": "probe", "connector_type": connector.slug, "credentials": credentials},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400, response.json()
    assert f"credentials.{field}" in response.json()["error"]["fields"]
