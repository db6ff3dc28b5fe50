"""Backfill from a date: `cursor_from_date` starts a Whiplash read at items updated on/after `since`,
over real HTTP against the sandbox (whose clock is UTC−5, so time zones are really compared)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import ValidationError
from connectors.whiplash.sandbox import SEED_EPOCH

# The sandbox's 12 items (ids 1001…1012) were updated one minute apart from SEED_EPOCH (09:00 at UTC−5).
SINCE = SEED_EPOCH + timedelta(minutes=5)  # item 1006's own timestamp
NEWER = [1006 + i for i in range(7)]


def read_ids(connector, stream, cursor, page_size=3):
    return [int(r["id"]) for p in connector.read(stream, cursor=cursor, page_size=page_size) for r in p.records]


@pytest.mark.parametrize(
    "since",
    [
        SINCE,
        SINCE.astimezone(UTC),
        "2025-12-01T14:05:00Z",
        "2025-12-01T09:05:00-05:00",
        datetime(2025, 12, 1, 14, 5),  # naive: UTC
    ],
)
def test_a_read_from_the_date_yields_exactly_the_items_updated_on_or_after_it(whiplash, connect, since):
    connector, _ = connect()
    cursor = connector.cursor_from_date("inventory", since)
    ids = read_ids(connector, "inventory", cursor)
    assert ids == NEWER  # item 1006, stamped exactly at `since`, included; 1001…1005 not
    assert all(datetime.fromisoformat(r["updated_at"]) >= SINCE for p in connector.read("products", cursor=cursor)
               for r in p.records)  # fmt: skip
    assert read_ids(connector, "products", cursor) == NEWER


def test_a_moment_just_after_a_timestamp_excludes_it(whiplash, connect):
    connector, _ = connect()
    cursor = connector.cursor_from_date("inventory", SINCE + timedelta(milliseconds=1))
    assert read_ids(connector, "inventory", cursor) == NEWER[1:]


def test_the_backfill_cursor_carries_on_incrementally(whiplash, connect):
    connector, _ = connect()
    pages = list(connector.read("inventory", cursor=connector.cursor_from_date("inventory", SINCE)))
    cursor = pages[-1].cursor
    assert json.loads(cursor)["id"] == 1012
    assert read_ids(connector, "inventory", cursor) == []
    sku = whiplash.app.items[1002]["sku"]
    whiplash.fire(event="item.inventory_changed", sku=sku, quantity=5, warehouse_id=1)
    assert read_ids(connector, "inventory", cursor) == [1002]


def test_orders_and_bad_input(whiplash, connect):
    from tests.whiplash.conftest import shipment_order

    connector, _ = connect()
    written = connector.write(
        "orders", [shipment_order(), shipment_order(city="Salem")], context={"keys": ["ekyam:old", "ekyam:new"]}
    )
    old, new = (int(w.destination_id) for w in written)
    # Backdate the first order by a millisecond (the sandbox stamps orders with its clock, UTC−5).
    stamp = datetime.fromisoformat(whiplash.app.orders[new]["updated_at"])
    whiplash.app.orders[old]["updated_at"] = (stamp - timedelta(milliseconds=1)).isoformat(timespec="milliseconds")
    since = stamp.astimezone(UTC).isoformat()
    assert read_ids(connector, "orders", connector.cursor_from_date("orders", since)) == [new]
    with pytest.raises(ValidationError, match="Not a date"):
        connector.cursor_from_date("inventory", "yesterday")
