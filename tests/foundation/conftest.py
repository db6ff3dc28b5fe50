"""Fixtures shared by the hardened HTTP clients' tests (sync and async mirror each other)."""

import pytest

from tests.servers import ScriptedServer


@pytest.fixture
def server():
    """A local HTTP server answering each request with the next scripted reply."""
    with ScriptedServer() as srv:
        yield srv
