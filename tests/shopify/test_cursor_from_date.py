"""Backfill from a date: `cursor_from_date` starts a Shopify read (an `updated_at:>=` search) at
records updated on/after `since`, over real HTTP against the sandbox."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.base import ValidationError
from connectors.shopify.sandbox import SEED_EPOCH

# The sandbox's 12 products / inventory items were updated one minute apart from SEED_EPOCH (14:00 UTC).
SINCE = SEED_EPOCH + timedelta(minutes=5)  # the sixth one's own timestamp


def read_all(connector, stream, cursor, page_size=3):
    return [r for p in connector.read(stream, cursor=cursor, page_size=page_size) for r in p.records]


def newer_skus(shopify, since):
    return sorted(
        i["sku"] for i in shopify.app.items.values() if i["updatedAt"] >= since.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


@pytest.mark.parametrize(
    "since",
    [
        SINCE,
        "2025-12-01T14:05:00Z",
        "2025-12-01T09:05:00-05:00",
        "2025-12-01 14:05:00",  # naive: UTC
        datetime(2025, 12, 1, 16, 5, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_read_from_the_date_yields_exactly_the_records_updated_on_or_after_it(shopify, connect, since):
    connector = connect()
    expected = newer_skus(shopify, SINCE)
    assert len(expected) == 7  # the sixth to the twelfth; the first five are older
    products = read_all(connector, "products", connector.cursor_from_date("products", since))
    assert sorted(r["sku"] for r in products) == expected
    levels = read_all(connector, "inventory", connector.cursor_from_date("inventory", since))
    assert sorted({r["sku"] for r in levels}) == expected
    assert all(r["updatedAt"] >= "2025-12-01T14:05:00Z" for r in products + levels)


def test_a_moment_inside_a_second_starts_at_the_next_whole_second(shopify, connect):
    connector = connect()
    products = read_all(connector, "products", connector.cursor_from_date("products", SINCE + timedelta(seconds=0.5)))
    assert sorted(r["sku"] for r in products) == newer_skus(shopify, SINCE + timedelta(minutes=1))


def test_the_backfill_cursor_carries_on_incrementally(shopify, connect):
    connector = connect()
    pages = list(connector.read("products", cursor=connector.cursor_from_date("products", SINCE), page_size=4))
    newest = max(r["updatedAt"] for p in pages for r in p.records)
    assert json.loads(pages[-1].cursor) == {"since": newest}


def test_locations_are_read_whole_and_bad_input_is_refused(shopify, connect):
    connector = connect()
    assert connector.cursor_from_date("locations", SINCE) is None
    assert len(read_all(connector, "locations", None)) == len(shopify.app.locations)
    with pytest.raises(ValidationError, match="Not a date"):
        connector.cursor_from_date("products", "soon")
    assert datetime.fromisoformat(
        json.loads(connector.cursor_from_date("products", SINCE))["since"]
    ) == SINCE.astimezone(UTC)
