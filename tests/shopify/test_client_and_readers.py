"""Shopify check, cost-based throttling and the readers, over real HTTP against the sandbox."""

from __future__ import annotations

import json

from connectors.shopify.client import CostModel
from tests.shopify.conftest import MAIN, skus


def test_check_names_the_shop_and_scopes(shopify, connect):
    result = connect().check()
    assert result.ok and "ekyam-demo.myshopify.com" in result.message and "2024-10" in result.message


def test_check_names_missing_scopes(shopify, connect):
    shopify.knobs(scopes=["read_products", "read_inventory"])
    result = connect().check()
    assert not result.ok and result.reason == "missing_scopes"
    assert result.details["missing_scopes"] == ["write_inventory", "read_locations"]
    assert "write_inventory, read_locations" in result.message


def test_check_reports_a_wrong_token_and_a_wrong_version(shopify, connect):
    bad = connect(access_token="shpat_wrong").check()
    assert not bad.ok and bad.reason == "invalid_credentials" and "access token" in bad.message
    assert connect(api_version="2030-01").client.api_version == "2030-01"


def test_cost_is_paced_from_throttle_status_without_being_throttled(shopify, connect):
    # 130 points restored at 200/s; each products page costs 2 + 5 × (3 + 20) = 117.
    shopify.knobs(bucket_size=130, restore_rate=200)
    connector = connect()
    pages = list(connector.read("products", page_size=5))
    assert sum(len(p.records) for p in pages) == 12 and len(pages) == 3
    assert shopify.state()["throttled"] == 0
    assert connector.client.waited > 0  # it waited for the bucket to refill instead of being refused


def test_throttled_answers_wait_the_computed_time_and_retry(shopify, connect):
    shopify.knobs(bucket_size=130, restore_rate=200)
    list(connect().read("products", page_size=5))  # drains the bucket
    CostModel._shared.clear()  # another worker process: it knows nothing of the budget yet
    connector = connect()
    pages = list(connector.read("products", page_size=5))
    assert sum(len(p.records) for p in pages) == 12
    state = shopify.state()
    assert state["throttled"] >= 1 and connector.client.throttled == state["throttled"]
    assert connector.client.waited > 0


def test_products_read_one_record_per_variant_and_incrementally(shopify, connect):
    connector = connect()
    pages = list(connector.read("products", page_size=5))
    records = [r for p in pages for r in p.records]
    assert len(records) == 12 and pages[-1].done
    first = records[0]
    assert first["sku"] == skus(shopify, 1)[0] and first["product"]["title"] and first["options"]["Size"]
    cursor = pages[-1].cursor
    assert json.loads(cursor)["since"] == max(r["updatedAt"] for r in records)

    sku = skus(shopify, 3)[2]
    connector.write("inventory", [{"sku": sku, "quantity": 77}], context={"run_id": 1, "keys": ["k"]})
    changed = [r for p in connector.read("inventory", cursor=None, page_size=12) for r in p.records]
    assert len(changed) > 12  # two locations for even items
    inventory_pages = list(connector.read("inventory", page_size=12))
    after = [r for p in connector.read("inventory", cursor=inventory_pages[-1].cursor) for r in p.records]
    assert {r["sku"] for r in after} == {sku}  # only the item updated since (at the cursor's own second)
    level = next(r for r in after if r["location"]["id"] == MAIN)
    assert level["available"] == 77 and level["inventoryItemId"].startswith("gid://shopify/InventoryItem/")


def test_reads_resume_mid_query_from_a_page_cursor(shopify, connect):
    connector = connect()
    pages = list(connector.read("products", page_size=5))
    resumed = list(connector.read("products", cursor=pages[0].cursor, page_size=5))
    assert [r["sku"] for p in resumed for r in p.records] == [r["sku"] for p in pages[1:] for r in p.records]


def test_targeted_reads_by_id(shopify, connect):
    connector = connect()
    item_id = next(iter(shopify.app.items))
    levels = [r for p in connector.read("inventory", ids=[item_id]) for r in p.records]
    assert {r["inventoryItemId"] for r in levels} == {item_id}
    product_id = shopify.app.products[3]["id"]
    products = [r for p in connector.read("products", ids=[product_id]) for r in p.records]
    assert [r["product"]["id"] for r in products] == [product_id]


def test_locations(shopify, connect):
    records = [r for p in connect().read("locations") for r in p.records]
    assert [r["name"] for r in records] == ["Main Warehouse", "Pop-up Store", "Closed Outlet"]
