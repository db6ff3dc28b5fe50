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
    type = models.CharField(max_length=80)
    version = models.PositiveSmallIntegerField(default=1)
    key = models.CharField(max_length=200, help_text="Entity key for ordering, e.g. workflow:12.")
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the webhook consumer stored it: until then the relay can publish it again if the broker
    # loses it. Not indexed (an index would cost every confirmation its HOT update).
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        # Indexes without text-pattern twins and partial where a row leaves them once handled: the
        # relay and the consumer write thousands of rows a second, and each index costs every write.
        indexes = [
            models.Index(fields=["type"], name="outbox_type"),
            models.Index(fields=["id"], condition=models.Q(published_at__isnull=True), name="outbox_unpublished"),
        ]

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


# --- Outgoing webhooks: endpoints, messages, deliveries, attempts, dead letters --------------


class Endpoint(OrgOwned):
    """A developer's URL that receives the organization's events, signed with its own secret."""

    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True, default="")
    event_types = models.JSONField(default=list, blank=True, help_text="Types to receive; empty means all.")
    filter = models.JSONField(
        default=dict,
        blank=True,
        help_text='Only events whose data fields equal these values, e.g. {"vendor": "shopify"}.',
    )
    headers = models.JSONField(default=dict, blank=True, help_text="Extra headers sent with every request.")
    # {"current": "whsec_…", "previous": "whsec_…" | None, "previous_until": ISO time | None}, via the vault.
    secrets_encrypted = models.TextField(editable=False, default="")
    secret_revealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    rate_limit_per_second = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    # Delivery settings of this endpoint; empty means the portal's defaults (webhooks/conf.py).
    retry_schedule = models.JSONField(
        default=list, blank=True, help_text="Seconds before attempt 1, 2, …; the length is the number of attempts."
    )
    timeout_seconds = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Attempt timeout (1–60 s).")
    max_concurrency = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Attempts in flight at once per delivery process."
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failed_messages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "is_active"], name="endpoint_org_active")]

    def __str__(self) -> str:
        return self.description or self.url

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def matches(self, data: dict) -> bool:
        """The simple payload filter: every key (dotted path into `data`) equals the given value."""
        for path, expected in (self.filter or {}).items():
            value = data
            for part in str(path).split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(expected, list):
                if value not in expected:
                    return False
            elif value != expected:
                return False
        return True


class Message(OrgOwned):
    """One event as it is delivered to webhooks; `webhook_id` is identical on every attempt."""

    event_id = models.UUIDField()
    webhook_id = models.CharField(max_length=60)
    event_type = models.CharField(max_length=80)
    body = models.JSONField(help_text="The exact JSON body: {type, timestamp, data}.")
    occurred_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True, help_text="When the relay published it to Kafka.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "event_id"], name="message_event_once"),
            models.UniqueConstraint(fields=["webhook_id"], name="message_webhook_id_unique"),
        ]
        indexes = [models.Index(fields=["organization", "event_type"], name="message_org_type")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class Delivery(OrgOwned):
    """A message on its way to one endpoint. Claimed by a worker with a lease before each attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        DEAD = "dead", "Dead-lettered"

    # No index of its own: the (message, endpoint) unique constraint starts with it.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # Attempts made before the last replay: the retry schedule restarts from there.
    replay_base = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["message", "endpoint"], name="delivery_once_per_endpoint")]
        # Partial: a delivered row leaves both, so marking it succeeded writes fewer index entries.
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="delivery_due",
            ),
            models.Index(fields=["claim_token"], condition=~models.Q(claim_token=""), name="delivery_claim"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"

    @property
    def state(self) -> str:
        """The status as shown: a delivery not yet done for a disabled endpoint is "held" (kept,
        not attempted, until the endpoint is enabled again or recovered)."""
        if self.status in (self.Status.PENDING, self.Status.RETRYING) and not self.endpoint.is_active:
            return "held"
        return self.status


class DeliveryAttempt(OrgOwned):
    """One HTTP request to an endpoint, whatever its outcome."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        REPLAY = "replay", "Replay"
        TEST = "test", "Test"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.SCHEDULED)
    status = models.CharField(max_length=12, choices=Status.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivery_id", "number", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id} ({self.status})"

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "trigger": self.trigger,
            "status": self.status,
            "status_code": self.status_code,
            "response_body": self.response_body,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "at": self.created_at.isoformat(),
        }


class DeadLetter(OrgOwned):
    """A delivery that exhausted its retries: the payload, every attempt and why. Kept until replayed
    successfully or deleted."""

    class Status(models.TextChoices):
        DEAD = "dead", "Dead"
        REPLAYING = "replaying", "Replaying"
        REPLAYED = "replayed", "Replayed"

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="dead_letter")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="dead_letters")
    event_type = models.CharField(max_length=80, db_index=True)
    payload = models.JSONField()
    attempts = models.JSONField(default=list)
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DEAD)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event_type} → endpoint {self.endpoint_id}: {self.reason}"


# --- Alerts -----------------------------------------------------------------------------------


class Alert(OrgOwned):
    """An in-portal notification; e-mail and Slack copies are sent in digests (see alerts.py)."""

    class Kind(models.TextChoices):
        DLQ = "dlq", "Dead-lettered message"
        ENDPOINT_DISABLED = "endpoint_disabled", "Endpoint disabled"
        WORKFLOW_PAUSED = "workflow_paused", "Workflow paused"
        CONNECTION_OFFLINE = "connection_offline", "Connection offline"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200)
    reason = models.TextField()
    link = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "notified_at"], name="alert_pending")]

    def __str__(self) -> str:
        return self.title


class AlertSettings(OrgOwned):
    """Where an organization's alerts go, and when the last notification left (the digest window)."""

    slack_webhook_url = models.URLField(max_length=500, blank=True, default="")
    email_enabled = models.BooleanField(default=True)
    last_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="alert_settings_once")]

    def __str__(self) -> str:
        return f"alert settings of {self.organization_id}"


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
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.alert_count} alerts)"
