"""Token refreshes under the connection's credentials lock: workers that find the access token expired at
the same time spend the rotating refresh token once, and the others adopt the token it bought."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from connectors import limits
from connectors.actions import build_connector
from connectors.base import TransientError
from connectors.models import Connection
from tests.whiplash.conftest import fast_http, refresh_token_connection

# Every lock this deployment can have: process-local always, a row lock on a database that has them,
# and the Redis lock when Redis is configured.
LOCK_MODES = [
    "local",
    *([] if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else ["row"]),
    *(["redis"] if settings.REDIS_URL else []),
]


def saved_connection(org, whiplash) -> tuple[Connection, str]:
    """A refresh-token connection whose stored access token has expired."""
    refresh = whiplash.app.issue_refresh_token()
    connection = refresh_token_connection(
        org, whiplash, refresh, access_token="wl-at-expired", access_token_expires_at="1000"
    )
    return connection, refresh


def assert_rotated_once(whiplash, connection, first_refresh, *connectors):
    state = whiplash.state()
    assert state["refreshes"] == 1 and state["rejected_refreshes"] == 0  # one request spent the refresh token
    tokens = {c.client.tokens.access_token for c in connectors}
    assert len(tokens) == 1
    stored = Connection.objects.get(pk=connection.pk).get_credentials()
    assert stored["access_token"] == tokens.pop()
    assert stored["refresh_token"] != first_refresh and stored["refresh_token"] in whiplash.app.refresh_tokens


@pytest.mark.django_db
def test_a_second_worker_adopts_the_token_another_one_refreshed(whiplash, org_a):
    connection, first_refresh = saved_connection(org_a, whiplash)
    # Both built before either refreshed: both hold the expired token and the same refresh token in memory.
    first = build_connector(Connection.objects.get(pk=connection.pk), http=fast_http())
    second = build_connector(Connection.objects.get(pk=connection.pk), http=fast_http())
    assert first.check().ok
    assert second.check().ok  # re-reads the stored tokens inside the lock: no second refresh, no invalid_grant
    assert_rotated_once(whiplash, connection, first_refresh, first, second)
    assert (
        second.credentials["refresh_token"]
        == Connection.objects.get(pk=connection.pk).get_credentials()["refresh_token"]
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", LOCK_MODES)
def test_concurrent_refreshes_reach_the_token_endpoint_once(whiplash, org_a, monkeypatch, mode):
    monkeypatch.setattr(limits, "credentials_lock_mode", lambda: mode)
    connection, first_refresh = saved_connection(org_a, whiplash)
    workers = [build_connector(Connection.objects.get(pk=connection.pk), http=fast_http()) for _ in range(2)]
    # A slow vendor: whoever refreshes first is still waiting for its answer when the other one asks.
    whiplash.knobs(latency_ms=150)
    start = threading.Barrier(len(workers))
    results: dict[int, object] = {}

    def work(index, connector):
        try:
            start.wait()
            results[index] = connector.check()
        finally:
            connections.close_all()  # this thread's database connection

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A worker that crashed has no result (its traceback is printed by the thread).
    assert [getattr(results.get(i), "ok", None) for i in range(len(workers))] == [True, True]
    whiplash.knobs(latency_ms=0)
    assert_rotated_once(whiplash, connection, first_refresh, *workers)


@pytest.mark.django_db
def test_a_rejected_stored_token_is_not_adopted_again(whiplash, org_a):
    connection, first_refresh = saved_connection(org_a, whiplash)
    connector = build_connector(connection, http=fast_http())
    assert connector.check().ok and whiplash.state()["refreshes"] == 1
    whiplash.knobs(revoke_tokens=True)  # the stored token still looks valid by its expiry, but the API refuses it
    assert connector.check().ok
    assert whiplash.state()["refreshes"] == 2 and whiplash.state()["rejected_refreshes"] == 0


@pytest.mark.django_db
def test_a_lock_held_too_long_is_a_transient_error(whiplash, org_a, monkeypatch):
    monkeypatch.setattr(limits, "CREDENTIALS_LOCK_WAIT_SECONDS", 0.01)
    monkeypatch.setattr(limits, "credentials_lock_mode", lambda: "local")
    connection, _ = saved_connection(org_a, whiplash)
    connector = build_connector(connection, http=fast_http())
    holder = limits.credentials_lock_for(connection)
    # Another refresh in progress that does not finish in time.
    with holder(), pytest.raises(TransientError) as raised:
        connector.client.tokens.token()
    assert raised.value.code == "token_refresh_busy" and not raised.value.permanent
    assert whiplash.state()["refreshes"] == 0
    assert connector.client.tokens.token() and whiplash.state()["refreshes"] == 1  # free again: refreshes
