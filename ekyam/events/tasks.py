"""Celery tasks of the event bus."""

from __future__ import annotations

from celery import shared_task

from ekyam.events import retention


@shared_task(name="events.prune_outbox")
def prune_outbox() -> int:
    return retention.prune_outbox()
