"""Backfill from a date: `cursor_from_date` starts a read at records modified on/after `since`, over
real HTTP against the sandbox — no overlap window reaching back before `since`, the boundary second
included, any ISO/aware/naive form of the same moment giving the same records."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.base import ValidationError
from tests.netsuite.conftest import read_all, stamp, stamp_fulfillments

SINCE = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def spread(netsuite):
    """Fulfillments stamped around SINCE (besides the seeded ones, spread over six months): exactly at it,
    one second and three minutes (inside the reader's overlap window) before, one second after.
    Returns the ids a read from SINCE must yield."""
    second, overlap = timedelta(seconds=1), timedelta(minutes=3)
    newer = stamp_fulfillments(netsuite, SINCE, [timedelta(0), -second, -overlap, second])
    older = set(netsuite.app.data.modified["itemFulfillment"]) - newer
    assert len(newer) >= 10 and len(older) >= 10  # the seeded data really straddles SINCE
    return newer


def test_a_read_from_the_date_yields_exactly_the_records_modified_on_or_after_it(connect, spread):
    connector = connect()
    records, _, _ = read_all(connector, cursor=connector.cursor_from_date("shipments", SINCE), page_size=7)
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(spread) and len(ids) == len(set(ids))
    assert {"9001", "9004"} <= set(ids) and not {"9002", "9003"} & set(ids)
    assert all(r["lastModifiedDate"] >= stamp(SINCE) for r in records)


@pytest.mark.parametrize(
    "since",
    [
        "2025-09-01T12:00:00Z",
        "2025-09-01T14:00:00+02:00",
        "2025-09-01 12:00:00",  # naive: UTC
        datetime(2025, 9, 1, 12, 0, 0),  # naive: UTC
        datetime(2025, 9, 1, 7, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_iso_strings_and_aware_or_naive_datetimes_name_the_same_moment(connect, spread, since):
    connector = connect()
    assert connector.cursor_from_date("shipments", since) == connector.cursor_from_date("shipments", SINCE)
    records, _, _ = read_all(connector, cursor=connector.cursor_from_date("shipments", since))
    assert sorted(r["id"] for r in records) == sorted(spread)


def test_a_moment_inside_a_second_starts_at_the_next_whole_second(connect, spread):
    connector = connect()
    cursor = connector.cursor_from_date("shipments", SINCE + timedelta(milliseconds=500))
    records, _, _ = read_all(connector, cursor=cursor)
    assert sorted(r["id"] for r in records) == sorted(spread - {"9001"})  # 9001 is stamped at SINCE itself


def test_the_backfill_cursor_carries_on_incrementally(connect, netsuite, spread):
    connector = connect()
    _, cursor, _ = read_all(connector, cursor=connector.cursor_from_date("shipments", SINCE))
    assert read_all(connector, cursor=cursor)[0] == []
    netsuite.change("itemFulfillment", "9002", memo="changed after the backfill")
    records, _, _ = read_all(connector, cursor=cursor)
    assert [r["id"] for r in records] == ["9002"]


def test_products_and_bad_input(connect, netsuite):
    connector = connect()
    modified = netsuite.app.data.modified["inventoryItem"]
    since = sorted(modified.values())[len(modified) // 2]
    records, _, _ = read_all(connector, "products", cursor=connector.cursor_from_date("products", since.isoformat()))
    assert sorted(r["id"] for r in records) == sorted(i for i, when in modified.items() if when >= since)
    assert json.loads(connector.cursor_from_date("products", since))["floor"] == since.strftime("%Y-%m-%d %H:%M:%S")
    with pytest.raises(ValidationError, match="Not a date"):
        connector.cursor_from_date("products", "last tuesday")
    with pytest.raises(ValidationError, match="no read stream"):
        connector.cursor_from_date("orders", SINCE)
