"""Connection status: verified → offline → verified, with an event (and an alert) each time; Beat re-checks."""

import logging

import pytest

from connectors import actions, tasks
from connectors.models import Connection, ConnectionStatus
from connectors.schedules import BEAT_SCHEDULE
from ekyam.alerts.models import Alert
from ekyam.events.models import OutboxEvent
from tests.connectors.conftest import SECRETS

pytestmark = pytest.mark.django_db


def status_events(connection):
    return list(
        OutboxEvent.objects.filter(type="connection.status.changed", key=f"connection:{connection.pk}")
        .order_by("pk")
        .values_list("payload", flat=True)
    )


def test_offline_and_back_with_an_event_each_time(ns_connection, netsuite_server):
    assert actions.check_connection(ns_connection).ok
    assert ns_connection.status == ConnectionStatus.VERIFIED

    netsuite_server.stop()  # the vendor becomes unreachable
    result = actions.check_connection(ns_connection)
    assert result.reason == "unreachable" and ns_connection.status == ConnectionStatus.OFFLINE
    assert Alert.objects.filter(organization=ns_connection.organization, kind="connection_offline").exists()
    assert actions.check_connection(ns_connection).reason == "unreachable"  # still offline: no new event

    from connectors.sandbox import SandboxServer

    host, port = netsuite_server.httpd.server_address
    revived = SandboxServer(netsuite_server.app, port=port).start()
    try:
        assert actions.check_connection(ns_connection).ok
    finally:
        revived.stop()
    assert ns_connection.status == ConnectionStatus.VERIFIED
    events = status_events(ns_connection)
    assert [(e["previous_status"], e["status"]) for e in events] == [
        ("unverified", "verified"),
        ("verified", "offline"),
        ("offline", "verified"),
    ]
    assert events[1]["reason"] == "unreachable" and events[1]["connection_id"] == ns_connection.pk


def test_bad_credentials_fail_rather_than_go_offline(ns_connection):
    actions.check_connection(ns_connection)
    actions.update_connection(ns_connection, credentials={"token_secret": "rotated-by-someone"})
    assert ns_connection.status == ConnectionStatus.UNVERIFIED
    result = actions.check_connection(ns_connection)
    assert not result.ok and ns_connection.status == ConnectionStatus.FAILED
    assert ns_connection.last_error_reason == "invalid_credentials" and ns_connection.last_checked_at


def test_beat_rechecks_verified_and_offline_connections(ns_connection, monkeypatch, django_capture_on_commit_callbacks):
    assert "connectors-recheck-connections" in BEAT_SCHEDULE
    queued = []
    monkeypatch.setattr(tasks.check_connection, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recheck_connections() == 1  # never checked yet (e.g. seeded): checked once
    actions.check_connection(ns_connection)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recheck_connections() == 1  # verified: kept under watch
    assert queued == [ns_connection.pk, ns_connection.pk]
    Connection.objects.filter(pk=ns_connection.pk).update(status=ConnectionStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recheck_connections() == 0  # failed connections wait for the user to fix them
    assert tasks.check_connection(ns_connection.pk) == "ok"  # the task itself, run twice safely
    assert tasks.check_connection(ns_connection.pk) == "ok"
    assert tasks.check_connection(987654) is None


def test_no_secret_reaches_the_logs(ns_connection, caplog):
    caplog.set_level(logging.DEBUG)
    actions.check_connection(ns_connection)
    actions.sample_records(ns_connection, "shipments", 2)
    actions.update_connection(ns_connection, credentials={"token_id": "x"})
    actions.check_connection(ns_connection)
    assert caplog.records and all(secret not in caplog.text for secret in SECRETS)
