"""The inventory writer over real HTTP: compare-and-set, each userError path, only changes sent."""

from __future__ import annotations

from connectors.base import ConflictError, ValidationError
from tests.shopify.conftest import CLOSED, MAIN, POPUP, skus


def _write(connector, records, run_id=41):
    keys = [f"whiplash:item:{i}" for i in range(len(records))]
    return connector.write("inventory", records, context={"run_id": run_id, "keys": keys})


def test_sets_available_with_compare_reason_and_run_reference(shopify, connect):
    sku = skus(shopify, 1)[0]
    before = shopify.available(sku)
    results = _write(connect(), [{"sku": sku, "quantity": before + 5}])
    assert results[0].ok and results[0].action == "updated", results[0].error
    assert results[0].response["previous"] == before
    assert shopify.available(sku) == before + 5
    change = shopify.state()["quantities_set"][-1]
    assert change == {
        "sku": sku,
        "location": MAIN,
        "quantity": before + 5,
        "delta": 5,
        "reason": "correction",
        "reference": "gid://ekyam/WorkflowRun/41",
    }


def test_only_changed_quantities_are_sent(shopify, connect):
    first, second = skus(shopify, 2)
    connector = connect()
    _write(connector, [{"sku": first, "quantity": 7}, {"sku": second, "quantity": 8}])
    mutations = shopify.state()["mutations"]
    again = _write(connect(), [{"sku": first, "quantity": 7}, {"sku": second, "quantity": 9}])
    assert [r.action for r in again] == ["unchanged", "updated"]
    state = shopify.state()
    assert state["mutations"] == mutations + 1
    assert [q["sku"] for q in state["quantities_set"]][-1] == second


def test_already_equal_in_shopify_is_unchanged_without_a_mutation(shopify, connect):
    sku = skus(shopify, 1)[0]
    results = _write(connect(), [{"sku": sku, "quantity": shopify.available(sku)}])
    assert results[0].ok and results[0].action == "unchanged"
    assert shopify.state()["mutations"] == 0


def test_stale_compare_is_reread_and_retried_once(shopify, connect):
    sku = skus(shopify, 1)[0]
    shopify.knobs(concurrent_change={"sku": sku, "location": MAIN, "delta": -1, "times": 1})
    results = _write(connect(), [{"sku": sku, "quantity": 3}])
    assert results[0].ok and results[0].action == "updated"
    assert shopify.available(sku) == 3
    assert [e["code"] for e in shopify.state()["user_errors"]] == ["COMPARE_QUANTITY_STALE"]


def test_stale_twice_is_a_record_conflict_and_the_rest_is_written(shopify, connect):
    racing, calm = skus(shopify, 2)
    shopify.knobs(concurrent_change={"sku": racing, "location": MAIN, "delta": -1, "times": 5})
    results = _write(connect(), [{"sku": racing, "quantity": 3}, {"sku": calm, "quantity": 4}])
    assert not results[0].ok and isinstance(results[0].error, ConflictError)
    assert results[0].error.vendor_code == "COMPARE_QUANTITY_STALE" and "stale" in results[0].error.message
    assert results[1].ok and shopify.available(calm) == 4


def test_each_user_error_is_a_record_error_with_a_clear_message(shopify, connect):
    names = skus(shopify, 6)
    ok_sku, odd_sku, negative_sku, high_sku, closed_sku, gone_sku = names
    connector = connect()
    _write(connector, [{"sku": gone_sku, "quantity": 1}])  # caches its inventory item id
    shopify.knobs(delete_sku=gone_sku)
    records = [
        {"sku": ok_sku, "quantity": 11},
        {"sku": odd_sku, "quantity": 5, "location_id": POPUP},  # odd items are stocked at the main warehouse only
        {"sku": negative_sku, "quantity": -3},
        {"sku": high_sku, "quantity": 2_000_000_000},
        {"sku": closed_sku, "quantity": 2, "location_id": CLOSED},
        {"sku": gone_sku, "quantity": 9},
        {"sku": "NOT-IN-SHOPIFY", "quantity": 1},
        {"quantity": 1},
    ]
    results = _write(connector, records)
    assert results[0].ok and shopify.available(ok_sku) == 11
    codes = [r.error.vendor_code if r.error else None for r in results]
    assert codes[1:6] == [
        "ITEM_NOT_STOCKED_AT_LOCATION",
        "INVALID_QUANTITY_NEGATIVE",
        "INVALID_QUANTITY_TOO_HIGH",
        "INVALID_LOCATION",
        "INVALID_INVENTORY_ITEM",
    ]
    assert all(isinstance(r.error, ValidationError) for r in results[1:6])
    assert f"SKU {odd_sku} is not stocked at Shopify location" in results[1].error.message
    assert "negative" in results[2].error.message and "1,000,000,000" in results[3].error.message
    assert "not active" in results[4].error.message and "deleted" in results[5].error.message
    assert "NOT-IN-SHOPIFY has no inventory item" in results[6].error.message
    assert results[7].action == "skipped" and "no SKU" in results[7].error.message


def test_an_invalid_reason_fails_every_record_of_the_batch(shopify, connect):
    first, second = skus(shopify, 2)
    results = _write(
        connect(adjustment_reason="because"), [{"sku": first, "quantity": 1}, {"sku": second, "quantity": 2}]
    )
    assert [r.error.vendor_code for r in results] == ["INVALID_REASON", "INVALID_REASON"]
    assert "reason 'because'" in results[0].error.message


def test_batches_hold_at_most_250_quantities(shopify, connect, monkeypatch):
    from connectors.shopify import writer as writer_module

    assert writer_module.BATCH_LIMIT == 250  # Shopify's cap on input arrays
    monkeypatch.setattr(writer_module, "BATCH_LIMIT", 3)
    names = skus(shopify, 7)
    results = _write(connect(), [{"sku": s, "quantity": 100 + i} for i, s in enumerate(names)])
    assert all(r.ok and r.action == "updated" for r in results)
    assert shopify.state()["mutations"] == 3


def test_location_by_name_and_sku_cache_refresh_on_miss(shopify, connect):
    sku = skus(shopify, 1)[0]
    connector = connect(default_location="")
    results = _write(connector, [{"sku": sku, "quantity": 6, "location_name": "pop-up store"}])
    assert results[0].ok and shopify.available(sku, POPUP) == 6
    queries_before = shopify.state()["queries"]
    _write(connector, [{"sku": sku, "quantity": 8, "location_name": "Pop-up Store"}])
    # cached: no SKU or location lookups, only the compare read and the mutation
    assert shopify.state()["queries"] == queries_before + 2
