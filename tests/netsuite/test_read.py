"""Reading over real HTTP: full, incremental (exactly once, nothing lost at the boundary), paging,
the SuiteQL result cap, targeted ids, governance back-off, and the concurrency limiter."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import AuthError
from connectors.limits import ConcurrencyLimiter


def ids_of(records):
    return [r["id"] for r in records]


@pytest.mark.parametrize("stream", ["shipments", "products"])
def test_full_read_returns_every_record_complete(connect, stream):
    from tests.netsuite.conftest import read_all

    records, cursor, pages = read_all(connect(), stream, page_size=25)
    assert len(records) == 60 and len(set(ids_of(records))) == 60
    assert pages[-1].done and not pages[-1].records and all(not p.done for p in pages[:-1])
    assert [len(p.records) for p in pages[:-1]] == [25, 25, 10]
    # one SuiteQL listing + one GET per record
    assert sum(p.requests for p in pages) == 61
    if stream == "shipments":
        sample = records[0]
        assert sample["item"]["items"] and sample["shippingAddress"]["city"] and "package" in sample
        assert sample["tranId"].startswith("IF-") and sample["createdFrom"]["id"]
    else:
        assert records[0]["itemId"] and records[0]["locations"]["items"]
    # records come in (lastModifiedDate, id) order
    keys = [(r["lastModifiedDate"], int(r["id"])) for r in records]
    assert keys == sorted(keys)
    assert json.loads(cursor)["modified"] == keys[-1][0].replace("T", " ").rstrip("Z")


def test_incremental_read_picks_up_each_change_exactly_once(connect, netsuite):
    from tests.netsuite.conftest import read_all

    connector = connect()
    _, cursor, _ = read_all(connector)
    records, cursor, _ = read_all(connector, cursor=cursor)
    assert records == []  # nothing changed: the overlap window re-lists but does not re-emit

    netsuite.change("itemFulfillment", "9007", memo="address corrected")
    created = netsuite.create("itemFulfillment", memo="new fulfillment")
    records, cursor, _ = read_all(connector, cursor=cursor)
    assert sorted(ids_of(records)) == sorted(["9007", created["id"]])
    assert next(r for r in records if r["id"] == "9007")["memo"] == "address corrected"

    records, cursor, _ = read_all(connector, cursor=cursor)
    assert records == []  # each change once per run, not again in the next


def test_nothing_is_lost_at_the_cursor_boundary(connect, netsuite):
    from tests.netsuite.conftest import read_all

    connector = connect()
    full, cursor, _ = read_all(connector)
    high_water = full[-1]
    at_mark = datetime.fromisoformat(high_water["lastModifiedDate"].replace("Z", "+00:00"))
    lowest = min(ids_of(full), key=int)
    # A change committed late: same second as the high-water mark, smaller id (sorts before it) …
    netsuite.change("itemFulfillment", lowest, memo="same second", lastModifiedDate=high_water["lastModifiedDate"])
    # … and one stamped inside the overlap window, before the mark.
    other = next(i for i in ids_of(full) if i not in (lowest, high_water["id"]))
    earlier = (at_mark - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    netsuite.change("itemFulfillment", other, memo="late commit", lastModifiedDate=earlier)

    records, cursor, _ = read_all(connector, cursor=cursor)
    assert sorted(ids_of(records)) == sorted([lowest, other])
    assert read_all(connector, cursor=cursor)[0] == []


def test_resume_from_a_page_cursor_continues_without_gaps(connect):
    from tests.netsuite.conftest import read_all

    connector = connect()
    pages = connector.read("shipments", page_size=10)
    first = [next(pages), next(pages)]
    pages.close()  # the worker stopped after two pages
    rest, _, _ = read_all(connector, cursor=first[-1].cursor, page_size=10)
    seen = ids_of(first[0].records + first[1].records + rest)
    assert len(seen) == 60 and len(set(seen)) == 60


def test_paging_and_the_query_result_cap_move_the_window(connect, netsuite):
    from tests.netsuite.conftest import read_all

    netsuite.knobs(max_query_results=25)
    connector = connect()
    connector.max_query_results = 25
    connector.list_limit = 10
    records, _, _ = read_all(connector, page_size=7)
    assert len(records) == 60 and len(set(ids_of(records))) == 60
    # Each window pages offsets 0 and 10 (20 rows); the next offset would pass the cap of 25, so the window
    # moves past the last row listed: 3 windows x 2 listings cover the 60 records.
    assert netsuite.state()["suiteql"] == 6


def test_targeted_read_by_ids_leaves_the_cursor_alone(connect):
    connector = connect()
    pages = list(connector.read("shipments", ids=["9002", "9004", "9002", "404404"], cursor="kept"))
    assert [r["id"] for p in pages for r in p.records] == ["9002", "9004"]  # unknown id skipped, duplicates once
    assert pages[-1].done and all(p.cursor == "kept" for p in pages)


def test_backs_off_under_forced_429s_and_completes(connect, netsuite):
    from tests.netsuite.conftest import read_all

    netsuite.knobs(fail_next=[429, 429, 429, 503])
    records, _, pages = read_all(connect(), page_size=30)
    assert len(records) == 60
    assert sum(p.requests for p in pages) == 61 + 4  # every rejected attempt was retried, re-signed


def test_more_threads_than_the_account_allows_back_off_to_completion(connect, netsuite):
    from tests.netsuite.conftest import read_all

    netsuite.knobs(concurrency_limit=2, latency_ms=5)
    records, _, _ = read_all(connect(), page_size=30)  # 5 fetch threads against a limit of 2
    assert len(records) == 60
    assert netsuite.state()["rejected_429"] > 0


def test_the_connection_limiter_keeps_requests_within_the_limit(connect, netsuite):
    from tests.netsuite.conftest import read_all

    netsuite.knobs(concurrency_limit=2, latency_ms=5)
    limiter = ConcurrencyLimiter(f"test-netsuite-{datetime.now(UTC).timestamp()}", 2)
    records, _, _ = read_all(connect(concurrency_limiter=limiter), page_size=30)
    state = netsuite.state()
    assert len(records) == 60 and state["rejected_429"] == 0 and state["in_flight_peak"] <= 2


def test_401_under_load_is_transient_only_for_verified_credentials(connect, netsuite):
    from tests.netsuite.conftest import read_all

    netsuite.knobs(fail_next=[401])
    records, _, _ = read_all(connect(verified=True))
    assert len(records) == 60

    netsuite.knobs(fail_next=[401])
    with pytest.raises(AuthError) as caught:
        read_all(connect(verified=False))
    assert caught.value.vendor_code == "INVALID_LOGIN" and caught.value.status == 401
    assert "Invalid login attempt" in caught.value.message


def test_permanent_errors_surface_with_the_vendor_code(connect, netsuite):
    netsuite.token("no-fulfillments", token_secret="x", permissions=["inventoryItem", "suiteql"])
    connector = connect(token_id="no-fulfillments", token_secret="x")
    from connectors.base import PermanentError

    with pytest.raises(PermanentError) as caught:
        list(connector.read("shipments"))
    assert caught.value.vendor_code == "INSUFFICIENT_PERMISSION" and caught.value.permanent is not False
    assert netsuite.state()["rejected_429"] == 0
