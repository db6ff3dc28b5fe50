"""Celery tasks of alerts: thin wrappers that take ids and are safe to run twice.

(The names are those the tasks had before alerts moved into the core, so queued messages and stored
Beat entries keep working.)"""

from __future__ import annotations

from celery import shared_task

from ekyam.alerts import digest


@shared_task(name="webhooks.send_alert_notifications")
def send_alert_notifications(organization_id: int) -> int:
    return digest.send_alert_notifications(organization_id)


@shared_task(name="webhooks.flush_alert_digests")
def flush_alert_digests() -> int:
    return sum(digest.send_alert_notifications(org_id) for org_id in digest.organizations_with_pending_alerts())
