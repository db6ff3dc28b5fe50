"""Alerts: a row at once; e-mail and Slack once per digest window; the rest in one digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ekyam.alerts import actions as alerts
from ekyam.alerts import digest
from ekyam.alerts.models import Alert, AlertNotification, AlertSettings
from tests.servers import ScriptedServer

pytestmark = pytest.mark.django_db


def test_alerts_are_sent_once_per_digest_window(
    org_a, owner_a, admin_a, developer_a, settings, django_capture_on_commit_callbacks
):
    settings.ALERT_DIGEST_WINDOW_SECONDS = 600
    with ScriptedServer() as slack:
        AlertSettings.objects.create(organization=org_a, slack_webhook_url=slack.url + "/services/T/B/x")
        for i in range(5):  # each alert in its own transaction, as a failing endpoint raises them
            with django_capture_on_commit_callbacks(execute=True):
                alerts.raise_alert(
                    org_a, "dlq", f"Message {i} dead-lettered", "HTTP 500 x8", f"/developers/webhooks/dlq/{i}/"
                )
        assert Alert.objects.filter(organization=org_a).count() == 5  # every alert is in the portal
        assert len(mail.outbox) == 1 and len(slack.requests) == 1  # but only one notification went out
        assert sorted(mail.outbox[0].to) == ["admin_a@example.com", "owner_a@example.com"]
        assert "Message 0" in mail.outbox[0].subject

        assert digest.send_alert_notifications(org_a.pk) == 0  # still inside the window
        AlertSettings.objects.filter(organization=org_a).update(
            last_notified_at=timezone.now() - timedelta(seconds=601)
        )
        assert digest.send_alert_notifications(org_a.pk) == 4  # one digest of the rest
        assert len(mail.outbox) == 2 and len(slack.requests) == 2
        assert "4 alerts" in mail.outbox[1].subject and "HTTP 500 x8" in mail.outbox[1].body
        assert b"4 alerts" in slack.requests[1]["body"]
    assert not Alert.objects.filter(notified_at__isnull=True).exists()
    assert AlertNotification.objects.filter(status="sent").count() == 4


def test_unknown_alert_kind_is_refused(org_a):
    with pytest.raises(ValueError, match="Unknown alert kind"):
        alerts.raise_alert(org_a, "weather", "t", "r", "")


def test_repeats_of_one_endpoint_and_cause_make_one_alert_with_a_count_in_one_digest(
    org_a, owner_a, settings, django_capture_on_commit_callbacks
):
    from tests.webhooks.deliveries import delivery_for, job_for
    from webhooks import actions as webhook_actions
    from webhooks import outcomes
    from webhooks.delivery import Result

    settings.ALERT_DIGEST_WINDOW_SECONDS = 600
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    settings.WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES = 1000
    failing, _ = webhook_actions.create_endpoint(org_a, url="http://127.0.0.1:9/failing")
    timing_out, _ = webhook_actions.create_endpoint(org_a, url="http://127.0.0.1:9/slow")

    def dead_letter(endpoint, result):
        with django_capture_on_commit_callbacks(execute=True):  # each in its own transaction
            message, delivery = delivery_for(org_a, endpoint)
            outcomes.record([(job_for(endpoint, message, delivery), result)])

    for _ in range(30):
        dead_letter(failing, Result(False, status_code=500, error="HTTP 500"))
    for _ in range(5):
        dead_letter(failing, Result(False, status_code=503, error="HTTP 503"))
    for _ in range(4):
        dead_letter(timing_out, Result(False, error="Timed out after 15 s."))

    # 39 dead letters: the first was notified at once; the rest wait as one alert per endpoint and
    # cause, each with its count.
    assert len(mail.outbox) == 1
    pending = Alert.objects.filter(kind="dlq", notified_at__isnull=True)
    assert sorted((a.subject, a.count) for a in pending) == sorted(
        [
            (f"endpoint:{failing.pk}:HTTP 500", 29),
            (f"endpoint:{failing.pk}:HTTP 503", 5),
            (f"endpoint:{timing_out.pk}:Timed out", 4),
        ]
    )
    assert Alert.objects.count() == 4
    assert pending.get(count=29).link == f"/developers/webhooks/dlq/?endpoint={failing.pk}"
    AlertSettings.objects.filter(organization=org_a).update(last_notified_at=timezone.now() - timedelta(seconds=601))
    assert digest.send_alert_notifications(org_a.pk) == 3  # one digest carrying the counts
    assert len(mail.outbox) == 2 and "3 alerts" in mail.outbox[1].subject
    assert "29 times" in mail.outbox[1].body and "4 times" in mail.outbox[1].body


def test_slack_webhook_url_is_a_secret_encrypted_masked_and_kept(org_a, owner_a, viewer_a):
    from django.db import connection
    from django.test import Client

    url = "http://127.0.0.1:9/services/T0001/B0001/s3cr3tPathToken"  # loopback: allowed in tests
    client = Client()
    client.force_login(owner_a)
    response = client.post("/developers/alerts/", {"email_enabled": "on", "slack_webhook_url": url})
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slack_webhook_url_encrypted FROM webhooks_alertsettings WHERE organization_id = %s", [org_a.pk]
        )
        (column,) = cursor.fetchone()
    assert column and "s3cr3t" not in column
    assert AlertSettings.objects.get(organization=org_a).slack_webhook_url == url

    viewer = Client()
    viewer.force_login(viewer_a)
    page = viewer.get("/developers/alerts/").content.decode()
    assert "s3cr3tPathToken" not in page and "/services/T0001" not in page and "••••oken" in page

    # Saving with the field left empty keeps the URL; the remove box clears it.
    assert client.post("/developers/alerts/", {"email_enabled": "on", "slack_webhook_url": ""}).status_code == 302
    assert AlertSettings.objects.get(organization=org_a).slack_webhook_url == url
    client.post("/developers/alerts/", {"email_enabled": "on", "remove_slack_webhook": "on"})
    assert AlertSettings.objects.get(organization=org_a).slack_webhook_url == ""


def test_admin_lists_alert_settings_without_the_slack_url(org_a):
    from django.contrib.auth import get_user_model
    from django.test import Client

    AlertSettings.objects.create(
        organization=org_a, slack_webhook_url="https://hooks.slack.com/services/T/B/zzzzSECRET"
    )
    root = get_user_model().objects.create_superuser("root_alerts", "root@example.com", "pw-root-alerts-1")
    client = Client()
    client.force_login(root)
    page = client.get("/admin/alerts/alertsettings/").content.decode()
    assert "zzzzSECRET" not in page and "••••CRET" in page
