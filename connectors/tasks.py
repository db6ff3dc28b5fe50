"""Celery tasks of connections: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.db import transaction

from connectors import actions
from connectors.models import Connection


@shared_task(name="connectors.check_connection")
def check_connection(connection_id: int) -> str | None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None  # deleted since it was queued
    return actions.check_connection(connection).reason


@shared_task(name="connectors.recheck_connections")
def recheck_connections() -> int:
    """Beat: queue a check of every connection that worked (verified) or used to (offline)."""
    ids = list(actions.connections_to_recheck().values_list("pk", flat=True))
    for connection_id in ids:
        transaction.on_commit(lambda cid=connection_id: check_connection.delay(cid))
    return len(ids)


@worker_ready.connect
def _recheck_when_a_worker_starts(sender, **kwargs):
    """A fresh worker (a deploy, `make run`) checks connections at once instead of after the first
    Beat interval, so statuses are current from the start."""
    sender.app.send_task("connectors.recheck_connections")
