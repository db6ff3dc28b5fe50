"""Celery tasks of the webhooks app: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from webhooks import alerts, retention


@shared_task(name="webhooks.send_alert_notifications")
def send_alert_notifications(organization_id: int) -> int:
    return alerts.send_alert_notifications(organization_id)


@shared_task(name="webhooks.flush_alert_digests")
def flush_alert_digests() -> int:
    return sum(alerts.send_alert_notifications(org_id) for org_id in alerts.organizations_with_pending_alerts())


@shared_task(name="webhooks.prune_delivered")
def prune_delivered() -> dict:
    return {"messages": retention.prune_messages(), "outbox": retention.prune_outbox()}
