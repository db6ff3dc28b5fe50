"""State changes of alerts: raising one (any app may), marking one read.

`raise_alert` never sends anything itself: it stores the row and, on commit, queues the task that
sends the notification (or leaves it for the next digest; see `digest`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ekyam.alerts.models import Alert
from ekyam.alerts.tasks import send_alert_notifications

KINDS = {choice.value for choice in Alert.Kind}


def raise_alert(organization, kind: str, title: str, reason: str, link: str = "", *, subject: str = "") -> Alert:
    """Store an alert. With a `subject` (what it is about and why, e.g. "endpoint:12:HTTP 500"),
    repeats raised before the next notification add to one row's `count` (and update its reason
    to the latest), so a thousand dead letters of one endpoint make one alert, not a thousand."""
    if kind not in KINDS:
        raise ValueError(f"Unknown alert kind {kind!r}; use one of {', '.join(sorted(KINDS))}.")
    fields = {"title": title[:200], "reason": reason, "link": link[:500]}
    if subject:
        subject = subject[:200]
        pending = Alert.objects.filter(organization=organization, kind=kind, subject=subject, notified_at__isnull=True)
        now = timezone.now()
        if pending.update(count=F("count") + 1, last_at=now, **fields):
            return pending.first() or Alert(organization=organization, kind=kind, subject=subject, **fields)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    organization=organization, kind=kind, subject=subject, last_at=now, **fields
                )
        except IntegrityError:  # raised at the same moment by another process: add to its row
            pending.update(count=F("count") + 1, last_at=now, **fields)
            return pending.first() or Alert(organization=organization, kind=kind, subject=subject, **fields)
    else:
        alert = Alert.objects.create(organization=organization, kind=kind, **fields)
    organization_id = alert.organization_id
    transaction.on_commit(lambda: send_alert_notifications.delay(organization_id))
    return alert


def mark_alert_read(alert: Alert) -> Alert:
    Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())
    alert.refresh_from_db()
    return alert
