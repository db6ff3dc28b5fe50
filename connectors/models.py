"""Connections: one configured account of a connector type, with its credentials encrypted at rest."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from ekyam import vault
from ekyam.tenancy import OrgOwned


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class ConnectionStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Failed"
    OFFLINE = "offline", "Offline"


class Connection(OrgOwned):
    connector_type = models.CharField(max_length=40, help_text="Slug of the connector, e.g. netsuite.")
    name = models.CharField(max_length=120)
    # Non-secret credential fields in clear (account id, shop domain, base URL); secrets only in
    # `secrets_encrypted`. Use `get_credentials()` / `set_credentials()`.
    config = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, default="", editable=False)
    ENCRYPTED_FIELDS = ("secrets_encrypted",)  # re-encrypted by `manage.py rotate_credentials`
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.UNVERIFIED)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_reason = models.CharField(max_length=60, blank=True, default="")
    concurrency_limit = models.PositiveSmallIntegerField(default=5)
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="connection_name_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.name} ({self.connector_type})"

    @property
    def connector_class(self):
        from connectors.registry import get_connector

        return get_connector(self.connector_type)

    def secret_field_names(self) -> set[str]:
        return {f.name for f in self.connector_class.credential_fields if f.secret}

    def get_credentials(self) -> dict[str, str]:
        return {**self.config, **vault.decrypt_json(self.secrets_encrypted)}

    def set_credentials(self, credentials: dict[str, str]) -> None:
        """Split into clear config and encrypted secrets. Unknown secret names are encrypted too."""
        secret_names = self.secret_field_names()
        secret_like = ("secret", "token", "password", "private_key", "refresh")
        secrets_part = {k: v for k, v in credentials.items() if k in secret_names or any(s in k for s in secret_like)}
        self.config = {k: v for k, v in credentials.items() if k not in secrets_part}
        self.secrets_encrypted = vault.encrypt_json(secrets_part)

    def masked_credentials(self) -> dict[str, str]:
        """Credentials as any page or API may show them: secrets masked."""
        secrets_part = vault.decrypt_json(self.secrets_encrypted)
        return {**self.config, **{k: vault.mask(v) for k, v in secrets_part.items()}}


class InboundWebhook(OrgOwned):
    """One verified webhook received from a vendor, deduplicated on the vendor's event id."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="inbound_webhooks")
    vendor_event_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    duplicate_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "webhooks_inboundwebhook"  # the table it had before inbound webhooks moved here
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "vendor_event_id"], name="inbound_webhook_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.vendor_event_id}"
