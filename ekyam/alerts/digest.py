"""Sending alerts: e-mail and Slack copies of the pending alerts, rate-limited into digests.

`send_alert_notifications` (queued by `actions.raise_alert` on commit) sends immediately when the
organization got nothing during the digest window, and otherwise leaves the alerts pending; the Beat
task `flush_alert_digests` later sends everything pending as one digest. So one failing endpoint
produces at most one e-mail and one Slack post per window.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ekyam import http
from ekyam.alerts import conf
from ekyam.alerts.models import Alert, AlertNotification, AlertSettings
from ekyam.models import Membership, Role

log = logging.getLogger("ekyam.alerts")


def _absolute(link: str) -> str:
    return link if not link or link.startswith("http") else settings.BASE_URL.rstrip("/") + link


def _render(alerts: list[Alert]) -> tuple[str, str]:
    if len(alerts) == 1:
        times = f" ({alerts[0].count} times)" if alerts[0].count > 1 else ""
        subject = f"[Ekyam] {alerts[0].title}{times}"
    else:
        subject = f"[Ekyam] {len(alerts)} alerts: {alerts[0].title} and more"
    lines = []
    for alert in alerts:
        if alert.count > 1:
            when = f"{alert.count} times, {alert.created_at:%Y-%m-%d %H:%M}–{alert.last_at:%H:%M} UTC"
        else:
            when = f"{alert.created_at:%Y-%m-%d %H:%M} UTC"
        lines.append(f"- {alert.title} ({alert.get_kind_display()}, {when})")
        lines.append(f"  Reason: {alert.reason}")
        if alert.link:
            lines.append(f"  {_absolute(alert.link)}")
    return subject, "\n".join(lines)


def _recipients(organization_id: int) -> list[str]:
    emails = Membership.objects.filter(organization_id=organization_id, role__in=[Role.OWNER, Role.ADMIN]).values_list(
        "user__email", flat=True
    )
    return sorted({e for e in emails if e})


def _send_email(organization_id: int, alerts: list[Alert], subject: str, text: str) -> None:
    recipients = _recipients(organization_id)
    if not recipients:
        status, error = "skipped", "No owner or admin has an e-mail address."
    else:
        try:
            send_mail(subject, text, None, recipients)
            status, error = "sent", ""
        except Exception as exc:  # noqa: BLE001 - a mail outage must not lose the Slack copy or the rows
            log.warning("alert e-mail failed: %s", exc)
            status, error = "failed", str(exc)[:500]
    AlertNotification.objects.create(
        organization_id=organization_id,
        channel="email",
        status=status,
        alert_count=len(alerts),
        recipients=len(recipients),
        error=error,
    )


def _send_slack(organization_id: int, url: str, alerts: list[Alert], subject: str, text: str) -> None:
    client = http.HttpClient(max_retries=1)
    try:
        response = client.post(url, json={"text": f"*{subject}*\n{text}"}, retry=True)
        status = "sent" if 200 <= response.status_code < 300 else "failed"
        error = "" if status == "sent" else f"HTTP {response.status_code}"
    except http.RequestException as exc:
        status, error = "failed", str(exc)[:500]
    finally:
        client.close()
    AlertNotification.objects.create(
        organization_id=organization_id, channel="slack", status=status, alert_count=len(alerts), error=error
    )


def send_alert_notifications(organization_id: int, *, force: bool = False) -> int:
    """Send the organization's pending alerts unless a notification left within the window.
    Returns the number of alerts sent. Safe to run twice: the settings row is locked."""
    window = timedelta(seconds=conf.get("ALERT_DIGEST_WINDOW_SECONDS"))
    now = timezone.now()
    with transaction.atomic():
        AlertSettings.objects.get_or_create(organization_id=organization_id)
        state = AlertSettings.objects.select_for_update().get(organization_id=organization_id)
        if not force and state.last_notified_at and now - state.last_notified_at < window:
            return 0
        alerts = list(
            Alert.objects.filter(organization_id=organization_id, notified_at__isnull=True).order_by(
                "created_at", "pk"
            )[:200]
        )
        if not alerts:
            return 0
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(notified_at=now)
        state.last_notified_at = now
        state.save(update_fields=["last_notified_at"])
        subject, text = _render(alerts)
        slack_url, email_enabled = state.slack_webhook_url, state.email_enabled
    # Outside the lock: slow mail or Slack must not block other senders.
    if email_enabled:
        _send_email(organization_id, alerts, subject, text)
    if slack_url:
        _send_slack(organization_id, slack_url, alerts, subject, text)
    return len(alerts)


def organizations_with_pending_alerts() -> list[int]:
    return list(Alert.objects.filter(notified_at__isnull=True).values_list("organization_id", flat=True).distinct())
