"""The outbox: events leave Ekyam through these rows (see `outbox.emit` and `relay`)."""

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
    type = models.CharField(max_length=80)
    version = models.PositiveSmallIntegerField(default=1)
    key = models.CharField(max_length=200, help_text="Entity key for ordering, e.g. workflow:12.")
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the webhook consumer stored it: until then the relay can publish it again if the broker
    # loses it. Not indexed (an index would cost every confirmation its HOT update).
    stored_at = models.DateTimeField(null=True, blank=True)
    # The W3C traceparent of the emit span ("" while tracing is off): the relay continues the trace
    # from it in another process (ekyam/events/tracing.py).
    trace_context = models.CharField(max_length=55, blank=True, default="", db_default="", editable=False)

    class Meta:
        db_table = "webhooks_outboxevent"  # the table it had before the bus moved into the core
        ordering = ["pk"]
        # Indexes without text-pattern twins and partial where a row leaves them once handled: the
        # relay and the consumer write thousands of rows a second, and each index costs every write.
        indexes = [
            models.Index(fields=["type"], name="outbox_type"),
            models.Index(fields=["id"], condition=models.Q(published_at__isnull=True), name="outbox_unpublished"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
