"""Whiplash tokens (cache, transparent refresh, rotation persisted), check reasons, rate limit, readers."""

from __future__ import annotations

import json

import pytest

from connectors.actions import build_connector
from connectors.base import RateLimitError
from connectors.models import Connection
from tests.whiplash.conftest import fast_http, refresh_token_connection


def test_client_credentials_token_is_cached_and_refreshed_transparently(whiplash, connect):
    connector, updates = connect()
    for _ in range(3):
        list(connector.read("products", page_size=50))
    assert whiplash.state()["tokens_issued"] == 1
    assert updates[0]["access_token"] and float(updates[0]["access_token_expires_at"]) > 0
    whiplash.knobs(revoke_tokens=True)  # revoked early: the 401 triggers one new token and a retry
    assert len([r for p in connector.read("products") for r in p.records]) == 12
    assert whiplash.state()["tokens_issued"] == 2 and whiplash.state()["unauthorized"] == 1


def test_a_token_about_to_expire_is_replaced_before_use(whiplash, connect):
    whiplash.knobs(token_ttl=60)  # inside the 120 s safety margin: never used until its last second
    connector, _ = connect()
    assert connector.check().ok and connector.check().ok
    assert whiplash.state()["tokens_issued"] == 2 and whiplash.state()["unauthorized"] == 0


@pytest.mark.django_db
def test_rotated_refresh_tokens_are_persisted_through_build_connector(whiplash, org_a):
    first_refresh = whiplash.app.issue_refresh_token()
    connection = refresh_token_connection(org_a, whiplash, first_refresh)
    assert build_connector(connection, http=fast_http()).check().ok
    connection.refresh_from_db()
    stored = connection.get_credentials()
    assert stored["refresh_token"] != first_refresh and stored["refresh_token"] in whiplash.app.refresh_tokens
    assert first_refresh not in whiplash.app.refresh_tokens  # rotated: the old one is dead
    assert "refresh_token" not in connection.config  # encrypted, never in clear config

    # A second worker reuses the stored access token; after it is revoked it refreshes with the stored token.
    second = build_connector(Connection.objects.get(pk=connection.pk), http=fast_http())
    assert second.check().ok and whiplash.state()["refreshes"] == 1
    whiplash.knobs(revoke_tokens=True)
    assert second.check().ok and whiplash.state()["refreshes"] == 2
    connection.refresh_from_db()
    assert connection.get_credentials()["refresh_token"] != stored["refresh_token"]
    assert whiplash.state()["rejected_refreshes"] == 0


def test_check_reasons(whiplash, connect):
    assert connect()[0].check().ok
    bad_secret = connect(client_secret="wrong")[0].check()
    assert (bad_secret.ok, bad_secret.reason) == (
        False,
        "invalid_credentials",
    ) and "client secret" in bad_secret.message
    spent = connect(auth_flow="refresh_token", refresh_token="wl-rt-used")[0].check()
    assert spent.reason == "refresh_token_rejected" and "Connect the account again" in spent.message
    missing = connect(auth_flow="refresh_token")[0].check()
    assert missing.reason == "refresh_token_missing"
    unreachable = connect(base_url="http://127.0.0.1:9")[0].check()
    assert unreachable.reason == "unreachable"


def test_429_is_backed_off_and_the_read_completes(whiplash, connect):
    whiplash.knobs(rate_limit=4)
    connector, _ = connect(requests_per_second="0")  # no client-side limit: the server must push back
    records = [r for p in connector.read("products", page_size=1) for r in p.records]
    assert len(records) == 12
    assert whiplash.state()["rate_limited"] >= 1 and connector.client.throttled >= 1


def test_client_side_rate_stays_under_the_server_limit(whiplash, connect):
    whiplash.knobs(rate_limit=5)
    connector, _ = connect(requests_per_second="4")
    records = [r for p in connector.read("products", page_size=2) for r in p.records]
    assert len(records) == 12 and whiplash.state()["rate_limited"] == 0


def test_inventory_reads_incrementally_by_updated_at(whiplash, connect):
    connector, _ = connect()
    pages = list(connector.read("inventory", page_size=5))
    assert [len(p.records) for p in pages] == [5, 5, 2] and pages[-1].done
    first = pages[0].records[0]
    assert first["warehouse"] == {"id": "all", "name": "All Whiplash warehouses"} and "quantity" in first
    cursor = pages[-1].cursor
    assert list(connector.read("inventory", cursor=cursor))[0].records == []
    sku = pages[1].records[0]["sku"]
    whiplash.fire(event="item.inventory_changed", sku=sku, quantity=5, warehouse_id=1)
    changed = [r for p in connector.read("inventory", cursor=cursor) for r in p.records]
    assert [r["sku"] for r in changed] == [sku]
    resumed = list(connector.read("inventory", cursor=pages[0].cursor, page_size=5))
    later = [r["sku"] for p in pages[1:] for r in p.records if r["sku"] != sku]
    assert [r["sku"] for p in resumed for r in p.records] == [*later, sku]  # the changed item moved to the end


def test_inventory_per_warehouse_and_targeted_reads(whiplash, connect):
    connector, _ = connect(inventory_per_warehouse="true")
    item = next(iter(whiplash.app.items.values()))
    records = [r for p in connector.read("inventory", ids=[str(item["id"])]) for r in p.records]
    assert [(r["warehouse"]["name"], r["quantity"]) for r in records] == [
        ("Ann Arbor", item["warehouse_quantities"][1]),
        ("Reno", item["warehouse_quantities"][2]),
    ]


def test_orders_read_status_and_tracking_back(whiplash, connect):
    from tests.whiplash.conftest import shipment_order

    connector, _ = connect()
    written = connector.write("orders", [shipment_order()], context={"keys": ["netsuite:itemFulfillment:5"]})[0]
    cursor = list(connector.read("orders"))[-1].cursor
    whiplash.fire(event="order.shipped", original_id="netsuite:itemFulfillment:5", tracking="1ZXYZ")
    shipped = [r for p in connector.read("orders", cursor=cursor) for r in p.records]
    assert [(r["id"], r["status"], r["tracking"]) for r in shipped] == [(int(written.destination_id), 300, ["1ZXYZ"])]
    assert json.loads(list(connector.read("orders", cursor=cursor))[-1].cursor)["id"] == int(written.destination_id)


def test_a_get_under_steady_429s_makes_the_policys_attempts_and_no_more(whiplash, connect):
    """One retry layer: the hardened client's 5 attempts, not 4 (client) × 7 (Whiplash loop) of before."""
    connector, _ = connect()
    connector.client.request("GET", "/api/v2/items", params={"per_page": 1})  # the token, fetched once
    before, made = whiplash.app.request_count, connector.client.requests_made
    whiplash.knobs(fail_next=[429] * 40)
    with pytest.raises(RateLimitError):
        connector.client.request("GET", "/api/v2/items", params={"per_page": 1})
    assert whiplash.app.request_count - before - 1 == 5  # the knobs call itself is counted too
    assert connector.client.requests_made - made == 5
    assert connector.client.throttled == 4  # each retried 429 paused the account's shared rate
