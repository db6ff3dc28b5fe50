"""Celery tasks of the webhooks app: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from webhooks import retention


@shared_task(name="webhooks.prune_delivered")
def prune_delivered() -> dict:
    return {"messages": retention.prune_messages()}
