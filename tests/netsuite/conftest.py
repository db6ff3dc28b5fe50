"""A NetSuite sandbox on a loopback port per test, and connectors pointed at it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from connectors.netsuite.connector import NetSuiteConnector
from connectors.sandbox import SandboxServer
from ekyam.http import HttpClient


class Sandbox:
    def __init__(self, server: SandboxServer):
        self.server = server
        self.app = server.app
        self.url = server.url

    def knobs(self, **values):
        requests.post(f"{self.url}/_sandbox/knobs", json=values, timeout=5).raise_for_status()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def change(self, record_type: str, record_id: str, **fields) -> dict:
        response = requests.patch(f"{self.url}/_sandbox/records/{record_type}/{record_id}", json=fields, timeout=5)
        response.raise_for_status()
        return response.json()

    def create(self, record_type: str, **fields) -> dict:
        response = requests.post(f"{self.url}/_sandbox/records/{record_type}", json=fields, timeout=5)
        response.raise_for_status()
        return response.json()

    def token(self, token_id: str, **fields):
        requests.post(
            f"{self.url}/_sandbox/tokens", json={"token_id": token_id, **fields}, timeout=5
        ).raise_for_status()


@pytest.fixture(autouse=True)
def fast_backoff(settings):
    """Real backoff starts at 0.5 s; tests keep the same shape at a small fraction of the scale."""
    settings.HTTP_BACKOFF_BASE = 0.02
    settings.HTTP_BACKOFF_MAX = 0.3  # room for a 429 storm of 5 threads against a limit of 2 to clear


@pytest.fixture
def netsuite():
    server = SandboxServer(NetSuiteConnector.sandbox_app(seed=42, records=60)).start()
    try:
        yield Sandbox(server)
    finally:
        server.stop()


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


def read_all(connector, stream="shipments", **kw):
    """(records, last cursor, pages) of a complete read."""
    records, pages, cursor = [], [], None
    for page in connector.read(stream, **kw):
        records.extend(page.records)
        pages.append(page)
        cursor = page.cursor
    return records, cursor, pages
