"""The vendor sandboxes as test fixtures: one running server per test and its `/_sandbox/` control API.

    netsuite = sandbox_fixture(NetSuiteConnector, seed=42, records=60)   # in a conftest

A test then gets a `Sandbox`: `.app` (the in-process state), `.url`, and `knobs`, `state`, `fire`,
`orders`, `change`, `create`, `token` over HTTP, as a developer would drive it.
`from tests.sandboxes import fast_backoff` in a conftest or test module makes its retries fast there.
"""

from __future__ import annotations

import pytest
import requests

from connectors.sandbox import SandboxServer


class Sandbox:
    def __init__(self, server: SandboxServer):
        self.server = server
        self.app = server.app
        self.url = server.url

    def _post(self, path: str, payload: dict, timeout: float = 5) -> requests.Response:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=payload, timeout=timeout)
        response.raise_for_status()
        return response

    def knobs(self, **values) -> None:
        self._post("knobs", values)

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def orders(self) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/orders", timeout=5).json()

    def fire(self, **event) -> dict:
        """Make the sandbox send a signed vendor webhook (to `url=`); its answer lists the deliveries."""
        return self._post("fire", event, timeout=20).json()

    def change(self, record_type: str, record_id: str, **fields) -> dict:
        response = requests.patch(f"{self.url}/_sandbox/records/{record_type}/{record_id}", json=fields, timeout=5)
        response.raise_for_status()
        return response.json()

    def create(self, record_type: str, **fields) -> dict:
        return self._post(f"records/{record_type}", fields).json()

    def token(self, token_id: str, **fields) -> None:
        self._post("tokens", {"token_id": token_id, **fields})


def running(connector_class, **app_options) -> SandboxServer:
    """A sandbox server of the connector, to use as a context manager (started on entry, stopped on exit)."""
    return SandboxServer(connector_class.sandbox_app(**app_options))


def sandbox_fixture(connector_class, wrapper: type[Sandbox] = Sandbox, **app_options):
    """A fixture yielding a fresh `Sandbox` (or `wrapper`, a subclass with vendor helpers) per test."""

    @pytest.fixture
    def fixture():
        with running(connector_class, **app_options) as server:
            yield wrapper(server)

    return fixture


def backoff_fixture(base: float = 0.01, maximum: float = 0.05):
    """An autouse fixture scaling the hardened client's retry backoff down (real: 0.5 s and up);
    tests keep the same shape at a fraction of the scale."""

    @pytest.fixture(autouse=True)
    def fast_backoff(settings):
        settings.HTTP_BACKOFF_BASE = base
        settings.HTTP_BACKOFF_MAX = maximum

    return fast_backoff


fast_backoff = backoff_fixture()
