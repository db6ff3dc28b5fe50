"""The orders writer over real HTTP: one Whiplash order per shipment key, whatever happens."""

from __future__ import annotations

from connectors.base import ConflictError, ValidationError
from tests.whiplash.conftest import fast_http, shipment_order

KEYS = ["netsuite:itemFulfillment:1", "netsuite:itemFulfillment:2", "netsuite:itemFulfillment:3"]


def _write(connector, records, keys=KEYS):
    return connector.write("orders", records, context={"run_id": 7, "keys": keys[: len(records)]})


def test_orders_carry_the_payload_and_the_ekyam_key(whiplash, connect):
    connector, _ = connect()
    results = _write(connector, [shipment_order(shipping_method_id=12, ship_notes="Leave at door")])
    assert results[0].ok and results[0].action == "created"
    order = whiplash.app.orders[int(results[0].destination_id)]
    assert order["originator"]["original_id"] == KEYS[0]
    assert order["shipping_city"] == "Portland" and order["email"] == "jane@example.com"
    assert order["shipping_method_id"] == 12 and order["shop_shipping_method_text"] == "UPS Ground"
    assert order["ship_notes"] == "Leave at door"
    assert [(i["sku"], i["quantity"]) for i in order["order_items"]] == [("TSHIRT-BLA-S", 2)]


def test_running_twice_creates_each_order_once(whiplash, connect):
    connector, _ = connect()
    records = [shipment_order(city=c) for c in ("Portland", "Salem", "Eugene")]
    first = _write(connector, records)
    second = _write(connect()[0], records)
    assert [r.action for r in first] == ["created"] * 3
    assert [r.action for r in second] == ["unchanged"] * 3
    assert [r.destination_id for r in first] == [r.destination_id for r in second]
    assert sorted(o["original_id"] for o in whiplash.orders()) == sorted(KEYS)


def test_a_run_killed_midway_and_rerun_sends_the_rest_once(whiplash, connect):
    records = [shipment_order(city=c) for c in ("Portland", "Salem", "Eugene")]
    # The worker died after the first two orders were sent; the retried run sends the whole batch.
    _write(connect()[0], records[:2])
    results = _write(connect()[0], records)
    assert [r.action for r in results] == ["unchanged", "unchanged", "created"]
    assert len(whiplash.orders()) == 3


def test_timeout_after_the_sandbox_accepted_the_order_does_not_duplicate_it(whiplash, connect):
    whiplash.knobs(create_response_delay_ms=1500)
    connector, _ = connect(http=fast_http(read_timeout=0.3, max_retries=0))
    results = _write(connector, [shipment_order()])
    assert results[0].ok, results[0].error
    assert results[0].response["recovered_after"] == "timeout"
    whiplash.knobs(create_response_delay_ms=0)
    again = _write(connect()[0], [shipment_order()])
    assert again[0].action == "unchanged"
    assert len(whiplash.orders()) == 1
    assert whiplash.state()["orders_created"] == 1


def test_a_5xx_after_acceptance_is_reconciled_by_lookup(whiplash, connect):
    whiplash.knobs(create_response_status=[502])
    results = _write(connect()[0], [shipment_order()])
    assert results[0].ok and results[0].response["recovered_after"] == "server_error"
    assert len(whiplash.orders()) == 1


def test_a_5xx_before_acceptance_is_retried_once(whiplash, connect):
    whiplash.knobs(fail_next_create=[503])
    results = _write(connect()[0], [shipment_order()])
    assert results[0].ok and results[0].action == "created"
    assert "recovered_after" not in results[0].response
    assert len(whiplash.orders()) == 1


def test_409_when_the_search_index_lags_is_resolved_to_the_existing_order(whiplash, connect):
    _write(connect()[0], [shipment_order()])
    whiplash.knobs(stale_searches=1)  # the batch lookup misses the order, the POST answers 409
    results = _write(connect()[0], [shipment_order()])
    assert results[0].ok and results[0].action == "unchanged"
    assert whiplash.state()["order_conflicts"] == 1
    assert len(whiplash.orders()) == 1


def test_changes_update_the_order_until_it_is_printed_then_conflict(whiplash, connect):
    connector, _ = connect()
    created = _write(connector, [shipment_order()])[0]
    updated = _write(connector, [shipment_order(city="Salem", quantity=3)])[0]
    assert updated.ok and updated.action == "updated"
    assert updated.response["changed"] == ["shipping_city", "lines"]
    order = whiplash.app.orders[int(created.destination_id)]
    assert order["shipping_city"] == "Salem" and order["order_items"][0]["quantity"] == 3

    whiplash.fire(event="order.shipped", order_id=order["id"], tracking="1ZTRACK")
    conflict = _write(connector, [shipment_order(city="Bend", quantity=3)])[0]
    assert not conflict.ok and isinstance(conflict.error, ConflictError)
    assert "already Shipped" in conflict.error.message and "shipping_city" in conflict.error.message
    same = _write(connector, [shipment_order(city="Salem", quantity=3)])[0]
    assert same.ok and same.action == "unchanged"
    assert len(whiplash.orders()) == 1


def test_one_bad_record_never_sinks_the_batch(whiplash, connect):
    whiplash.knobs(strict_skus=True)
    records = [shipment_order(), shipment_order(sku="NO-SUCH-SKU"), {"shipping_address_1": "x"}]
    results = _write(connect()[0], records)
    assert [r.ok for r in results] == [True, False, False]
    assert isinstance(results[1].error, ValidationError) and "NO-SUCH-SKU" in results[1].error.message
    assert results[2].action == "skipped" and "no lines" in results[2].error.message
    assert len(whiplash.orders()) == 1


def test_a_repeated_key_in_one_batch_is_sent_once(whiplash, connect):
    results = _write(connect()[0], [shipment_order(), shipment_order()], keys=["k", "k"])
    assert [r.action for r in results] == ["created", "unchanged"]
    assert len(whiplash.orders()) == 1


def test_409_while_the_search_index_keeps_lagging_is_looked_up_again_not_a_conflict(whiplash, connect):
    _write(connect()[0], [shipment_order()])
    whiplash.knobs(stale_searches=3)  # the batch lookup and the first two lookups after the 409 miss it
    results = _write(connect()[0], [shipment_order()])
    assert results[0].ok and results[0].action == "unchanged"
    assert len(whiplash.orders()) == 1


def test_409_with_a_search_that_never_finds_the_order_is_retryable_not_a_conflict(whiplash, connect):
    _write(connect()[0], [shipment_order()])
    whiplash.knobs(stale_searches=100)
    results = _write(connect()[0], [shipment_order()])
    assert not results[0].ok
    assert not isinstance(results[0].error, ConflictError) and not results[0].error.permanent
    assert results[0].error.code == "lookup_lag" and "4 lookups" in results[0].error.message
    whiplash.knobs(stale_searches=0)
    assert len(whiplash.orders()) == 1
