"""Outgoing webhooks: endpoints, messages, deliveries, attempts, dead letters."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ekyam import vault
from ekyam.tenancy import OrgOwned


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
    # Extra headers sent with every request ({name: value}), often credentials (`Authorization: Bearer …`):
    # encrypted by the vault like other secrets; read `headers`, show `masked_headers()`.
    headers_encrypted = models.TextField(editable=False, default="")
    # {"current": "whsec_…", "previous": "whsec_…" | None, "previous_until": ISO time | None}, via the vault.
    secrets_encrypted = models.TextField(editable=False, default="")
    secret_revealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    ENCRYPTED_FIELDS = ("headers_encrypted", "secrets_encrypted")  # re-encrypted by `manage.py rotate_credentials`
    rate_limit_per_second = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    # Delivery settings of this endpoint; empty means the portal's defaults (webhooks/conf.py).
    retry_schedule = models.JSONField(
        default=list, blank=True, help_text="Seconds before attempt 1, 2, …; the length is the number of attempts."
    )
    timeout_seconds = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Attempt timeout (1–60 s).")
    max_concurrency = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Attempts in flight at once per delivery process."
    )
    ordered = models.BooleanField(
        default=False,
        help_text="Deliver messages with the same event key one at a time, in order: a failing one holds back "
        "only its own key's later messages.",
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

    @property
    def headers(self) -> dict[str, str]:
        token = self.headers_encrypted
        cached = self.__dict__.get("_headers_cache")
        if cached is None or cached[0] != token:
            cached = (token, vault.decrypt_json(token) if token else {})
            self.__dict__["_headers_cache"] = cached
        return dict(cached[1])

    @headers.setter
    def headers(self, value: dict | None) -> None:
        self.headers_encrypted = vault.encrypt_json(dict(value)) if value else ""

    def masked_headers(self) -> dict[str, str]:
        return {name: vault.mask(value) for name, value in self.headers.items()}

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
    event_key = models.CharField(
        max_length=200, blank=True, default="", help_text="The entity the event is about, e.g. shipment:12."
    )
    body = models.JSONField(help_text="The exact JSON body: {type, timestamp, data}.")
    occurred_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True, help_text="When the relay published it to Kafka.")
    # The traceparent of the consumer's span that stored it ("" untraced): every attempt, retries
    # and replays too, continues this trace (ekyam/events/tracing.py).
    trace_context = models.CharField(max_length=55, blank=True, default="", db_default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "event_id"], name="message_event_once"),
            models.UniqueConstraint(fields=["webhook_id"], name="message_webhook_id_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "event_type"], name="message_org_type"),
            # Ordered endpoints: the earlier messages of one entity.
            models.Index(fields=["organization", "event_key"], name="message_org_key"),
        ]

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
        verbose_name_plural = "deliveries"
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
    def last_result(self) -> str:
        """The last attempt's result said once: the error already names the HTTP status when there was one."""
        if self.last_error:
            return self.last_error
        if self.last_status_code:
            return f"HTTP {self.last_status_code}"
        return ""

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
