"""Accounts whose integration user is not on UTC: SuiteQL lists and compares dates in the user's Time
Zone preference while the REST API returns UTC instants. With the connection's `timezone` set, both
meet in that zone: each change is read once, and a backfill starts at the right instant."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.netsuite.connector import NetSuiteConnector
from tests.netsuite.conftest import read_all, stamp, stamp_fulfillments

ZONE = "America/Los_Angeles"
SINCE = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def pacific(netsuite):
    netsuite.knobs(timezone=ZONE)
    return netsuite


def test_each_change_is_read_once_when_suiteql_speaks_the_users_zone(connect, pacific):
    connector = connect(timezone=ZONE)
    _, cursor, _ = read_all(connector)
    assert read_all(connector, cursor=cursor)[0] == []

    pacific.change("itemFulfillment", "9007", memo="address corrected")
    created = pacific.create("itemFulfillment", memo="new fulfillment")
    records, cursor, _ = read_all(connector, cursor=cursor)
    assert sorted(r["id"] for r in records) == sorted(["9007", created["id"]])
    # The two are inside the overlap window of the next read: listed again, not emitted again.
    assert read_all(connector, cursor=cursor)[0] == []


def test_without_the_setting_a_pacific_account_reads_changes_again(connect, pacific):
    # Why the setting exists: the REST times (UTC) never match SuiteQL's (Pacific) for the same change.
    connector = connect()
    _, cursor, _ = read_all(connector)
    pacific.change("itemFulfillment", "9007", memo="address corrected")
    records, cursor, _ = read_all(connector, cursor=cursor)
    assert "9007" in [r["id"] for r in records]
    assert "9007" in [r["id"] for r in read_all(connector, cursor=cursor)[0]]  # and again, unchanged


def test_a_backfill_starts_at_the_instant_in_the_users_zone(connect, pacific):
    second, hours = timedelta(seconds=1), timedelta(hours=3)
    newer = stamp_fulfillments(pacific, SINCE, [timedelta(0), -second, -hours, hours])

    connector = connect(timezone=ZONE)
    records, _, _ = read_all(connector, cursor=connector.cursor_from_date("shipments", SINCE))
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(newer) and len(ids) == len(set(ids))
    assert {"9001", "9004"} <= set(ids) and not {"9002", "9003"} & set(ids)


def test_an_unknown_zone_is_refused_with_the_field_named():
    credentials = {**NetSuiteConnector.sandbox_credentials("http://127.0.0.1:9"), "timezone": "Mars/Olympus"}
    errors = NetSuiteConnector.validate_credentials(credentials)
    assert "Mars/Olympus" in errors["timezone"]
    assert "timezone" not in NetSuiteConnector.validate_credentials({**credentials, "timezone": ZONE})


def test_a_change_in_the_repeated_hour_after_clocks_fall_back_is_not_lost(connect, pacific):
    # Los Angeles falls back at 2026-11-01 09:00 UTC: 01:59 PDT, then 01:00 PST again.
    before = datetime(2026, 11, 1, 8, 59, tzinfo=UTC)  # 01:59 local, first pass
    pacific.change("itemFulfillment", "9001", lastModifiedDate=stamp(before))
    connector = connect(timezone=ZONE)
    records, cursor, _ = read_all(connector)
    assert records[-1]["id"] == "9001"  # the high-water mark

    pacific.change("itemFulfillment", "9002", lastModifiedDate=stamp(before + timedelta(minutes=21)))  # 01:20 PST
    records, cursor, _ = read_all(connector, cursor=cursor)
    assert [r["id"] for r in records] == ["9002"]
    assert read_all(connector, cursor=cursor)[0] == []
