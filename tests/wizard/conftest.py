"""Fixtures of the wizard view tests: NetSuite and Whiplash sandboxes on loopback."""

from __future__ import annotations

import pytest

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer


def _sandbox(slug: str, records: int):
    cls = get_connector(slug)
    server = SandboxServer(cls.sandbox_app(seed=42, records=records)).start()
    server.credentials = cls.sandbox_credentials(server.url)
    return server


@pytest.fixture
def netsuite_sandbox():
    server = _sandbox("netsuite", 12)
    yield server
    server.stop()


@pytest.fixture
def whiplash_sandbox():
    server = _sandbox("whiplash", 12)
    yield server
    server.stop()
