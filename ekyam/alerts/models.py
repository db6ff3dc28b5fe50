"""Alerts, where each organization wants them sent, and the notifications that carried them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ekyam import vault
from ekyam.tenancy import OrgOwned


class Alert(OrgOwned):
    """An in-portal notification; e-mail and Slack copies are sent in digests (see `digest`)."""

    class Kind(models.TextChoices):
        DLQ = "dlq", "Dead-lettered message"
        ENDPOINT_DISABLED = "endpoint_disabled", "Endpoint disabled"
        WORKFLOW_PAUSED = "workflow_paused", "Workflow paused"
        CONNECTION_OFFLINE = "connection_offline", "Connection offline"
        RECONCILIATION_DRIFT = "reconciliation_drift", "Reconciliation drift above threshold"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200)
    reason = models.TextField()
    link = models.CharField(max_length=500, blank=True, default="")
    # What the alert is about and why, e.g. "endpoint:12:HTTP 500": repeats of one subject raised
    # before the next notification add to `count` on one row instead of adding rows.
    subject = models.CharField(max_length=200, blank=True, default="")
    count = models.PositiveIntegerField(default=1, help_text="How many times it happened before it was notified.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_at = models.DateTimeField(null=True, blank=True, help_text="The latest occurrence.")
    notified_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhooks_alert"  # the tables keep the names they had before alerts moved into the core
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "notified_at"], name="alert_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject"],
                condition=models.Q(notified_at__isnull=True) & ~models.Q(subject=""),
                name="alert_pending_once_per_subject",
            )
        ]

    def __str__(self) -> str:
        return self.title


class AlertSettings(OrgOwned):
    """Where an organization's alerts go, and when the last notification left (the digest window)."""

    # A Slack incoming-webhook URL is a credential (its path is the secret): encrypted by the vault like
    # other secrets; read `slack_webhook_url`, show `masked_slack_webhook_url()`.
    slack_webhook_url_encrypted = models.TextField(editable=False, default="")
    ENCRYPTED_FIELDS = ("slack_webhook_url_encrypted",)  # re-encrypted by `manage.py rotate_credentials`
    email_enabled = models.BooleanField(default=True)
    last_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "webhooks_alertsettings"
        verbose_name = verbose_name_plural = "alert settings"
        constraints = [models.UniqueConstraint(fields=["organization"], name="alert_settings_once")]

    def __str__(self) -> str:
        return f"alert settings of {self.organization_id}"

    @property
    def slack_webhook_url(self) -> str:
        return vault.decrypt_json(self.slack_webhook_url_encrypted).get("url", "")

    @slack_webhook_url.setter
    def slack_webhook_url(self, value: str) -> None:
        self.slack_webhook_url_encrypted = vault.encrypt_json({"url": value}) if value else ""

    def masked_slack_webhook_url(self) -> str:
        return vault.mask(self.slack_webhook_url)


class AlertNotification(OrgOwned):
    """One e-mail or Slack post that carried one or more alerts (a digest)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack"

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices)
    alert_count = models.PositiveIntegerField()
    recipients = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "webhooks_alertnotification"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.alert_count} alerts)"
