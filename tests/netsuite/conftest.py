"""A NetSuite sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.netsuite.connector import NetSuiteConnector
from ekyam.http import HttpClient
from tests.sandboxes import backoff_fixture, sandbox_fixture

netsuite = sandbox_fixture(NetSuiteConnector, seed=42, records=60)
# Room for a 429 storm of 5 threads against a limit of 2 to clear.
fast_backoff = backoff_fixture(base=0.02, maximum=0.3)


@pytest.fixture
def connect(netsuite):
    """connect(**credential_overrides) → a NetSuiteConnector on the sandbox; `.updates` collects rotated tokens."""

    def build(concurrency_limiter=None, verified=False, **overrides):
        credentials = {**NetSuiteConnector.sandbox_credentials(netsuite.url), **overrides}
        updates: list[dict] = []
        connector = NetSuiteConnector(
            credentials,
            http=HttpClient(read_timeout=10),
            on_credentials_changed=updates.append,
            concurrency_limiter=concurrency_limiter,
        )
        connector.credentials_verified = verified
        connector.updates = updates
        return connector

    return build


def stamp(moment: datetime) -> str:
    """A moment as the record API writes lastModifiedDate (UTC, to the second)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_fulfillments(sandbox, since: datetime, offsets: list[timedelta]) -> set[str]:
    """Fulfillments 9001, 9002, … last modified at `since` plus each offset in turn; returns the ids of all
    the sandbox's fulfillments modified on or after `since`."""
    for number, offset in enumerate(offsets):
        sandbox.change("itemFulfillment", str(9001 + number), lastModifiedDate=stamp(since + offset))
    modified = sandbox.app.data.modified["itemFulfillment"]
    return {record_id for record_id, when in modified.items() if when >= since}


def read_all(connector, stream="shipments", **kw):
    """(records, last cursor, pages) of a complete read."""
    records, pages, cursor = [], [], None
    for page in connector.read(stream, **kw):
        records.extend(page.records)
        pages.append(page)
        cursor = page.cursor
    return records, cursor, pages
