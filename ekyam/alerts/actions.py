"""State changes of alerts: raising one (any app may), marking one read.

`raise_alert` never sends anything itself: it stores the row and, on commit, queues the task that
sends the notification (or leaves it for the next digest; see `digest`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ekyam.alerts.models import Alert
from ekyam.alerts.tasks import send_alert_notifications

KINDS = {choice.value for choice in Alert.Kind}


def raise_alert(organization, kind: str, title: str, reason: str, link: str = "") -> Alert:
    if kind not in KINDS:
        raise ValueError(f"Unknown alert kind {kind!r}; use one of {', '.join(sorted(KINDS))}.")
    alert = Alert.objects.create(
        organization=organization, kind=kind, title=title[:200], reason=reason, link=link[:500]
    )
    organization_id = alert.organization_id
    transaction.on_commit(lambda: send_alert_notifications.delay(organization_id))
    return alert


def mark_alert_read(alert: Alert) -> Alert:
    Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())
    alert.refresh_from_db()
    return alert
