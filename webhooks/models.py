"""Events leave Ekyam through the outbox; vendor webhooks enter through InboundWebhook rows."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from ekyam.tenancy import OrgOwned


class OutboxEvent(OrgOwned):
    """A business event, written in the same transaction as the change that caused it.

    The relay publishes unpublished rows to Kafka (keyed by organization and `key`, so one entity's
    events stay ordered) and then sets `published_at`. Consumers deduplicate on `event_id`.
    """

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=80, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    key = models.CharField(max_length=200, help_text="Entity key for ordering, e.g. workflow:12.")
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["published_at", "id"], name="outbox_unpublished")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class InboundWebhook(OrgOwned):
    """One verified webhook received from a vendor, deduplicated on the vendor's event id."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey("connectors.Connection", on_delete=models.CASCADE, related_name="inbound_webhooks")
    vendor_event_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    duplicate_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "vendor_event_id"], name="inbound_webhook_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.vendor_event_id}"
