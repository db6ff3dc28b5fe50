"""State changes of connections. Views, API, admin and tasks call these."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.base import CheckResult, ConnectorError
from connectors.limits import credentials_lock_for, limiter_for
from connectors.models import Connection, ConnectionStatus
from ekyam.alerts.actions import raise_alert
from ekyam.events.outbox import emit
from ekyam.http import HttpClient

log = logging.getLogger(__name__)

# Check reasons that mean "the vendor could not be reached or was unavailable": a connection that
# had worked goes offline (it will be re-checked), instead of failed (needs the user's attention).
UNAVAILABLE_REASONS = frozenset({"unreachable", "vendor_unavailable", "rate_limited"})
# Credential keys a connector stores by itself (rotated tokens), not entered by users.
INTERNAL_CREDENTIALS = frozenset({"access_token", "access_token_expires_at", "refresh_token"})


def internal_credentials(connector_class) -> frozenset[str]:
    """The stored-by-the-connector names that are not also a field the user enters (Shopify's Admin API
    access token is typed in; Whiplash's access token is obtained)."""
    return INTERNAL_CREDENTIALS - {f.name for f in connector_class.credential_fields}


def persist_credential_updates(connection_id: int, updates: dict[str, str]) -> None:
    """Store rotated tokens atomically (a refresh token may be used once: losing the new one locks us out)."""
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection_id)
        credentials = locked.get_credentials()
        credentials.update(updates)
        locked.set_credentials(credentials)
        locked.save(update_fields=["config", "secrets_encrypted", "updated_at"])


def stored_credentials(connection_id: int) -> dict[str, str]:
    """The connection's credentials as stored now (another worker may have rotated its tokens)."""
    return Connection.objects.get(pk=connection_id).get_credentials()


def build_connector(connection: Connection, *, http: HttpClient | None = None):
    """A ready-to-use connector instance for a stored connection. Token refreshes run under the
    connection's credentials lock (shared by every process) after re-reading the stored tokens."""
    connector = connection.connector_class(
        connection.get_credentials(),
        http=http or HttpClient(),
        on_credentials_changed=lambda updates: persist_credential_updates(connection.pk, updates),
        concurrency_limiter=limiter_for(connection),
        credentials_lock=credentials_lock_for(connection),
        reload_credentials=lambda: stored_credentials(connection.pk),
    )
    # Credentials that authenticated before: an ambiguous vendor answer may then be load, not bad keys.
    connector.credentials_verified = connection.status in (ConnectionStatus.VERIFIED, ConnectionStatus.OFFLINE)
    return connector


# --- create / update -----------------------------------------------------------------------------------
def validate_credentials(connector_class, credentials: dict, *, supplied: dict) -> None:
    errors = connector_class.validate_credentials(
        {k: v for k, v in credentials.items() if k not in internal_credentials(connector_class)}
    )
    # Unknown names matter only when the caller sent them (stored internal tokens are fine).
    errors = {k: v for k, v in errors.items() if k in supplied or "no credential field" not in v}
    if errors:
        raise DjangoValidationError({f"credentials.{k}": [v] for k, v in errors.items()})


def _clean(connector_class, credentials: dict) -> dict[str, str]:
    defaults = {f.name: f.default for f in connector_class.credential_fields if f.default}
    return {**defaults, **{k: "" if v is None else str(v) for k, v in credentials.items()}}


def create_connection(
    organization, *, connector_type: str, name: str, credentials: dict, concurrency_limit: int | None = None
) -> Connection:
    from connectors.registry import get_connector

    try:
        connector_class = get_connector(connector_type)
    except LookupError as exc:
        raise DjangoValidationError({"connector_type": [str(exc)]}) from None
    cleaned = _clean(connector_class, credentials)
    validate_credentials(connector_class, cleaned, supplied=credentials)
    connection = Connection(
        organization=organization,
        connector_type=connector_type,
        name=name,
        concurrency_limit=concurrency_limit or connector_class.default_concurrency,
    )
    connection.set_credentials(cleaned)
    connection.save()
    return connection


def update_connection(
    connection: Connection, *, name: str | None = None, credentials: dict | None = None, concurrency_limit=None
) -> Connection:
    """Secrets are write-only: a secret left out (or blank) keeps its stored value. Changing any
    credential makes the connection unverified until it is checked again."""
    fields = ["updated_at"]
    if name is not None and name != connection.name:
        connection.name = name
        fields.append("name")
    if concurrency_limit is not None and concurrency_limit != connection.concurrency_limit:
        connection.concurrency_limit = concurrency_limit
        fields.append("concurrency_limit")
    if credentials:
        secret_names = connection.secret_field_names()
        changes = {k: v for k, v in credentials.items() if not (k in secret_names and not v)}
        merged = {**connection.get_credentials(), **_clean(connection.connector_class, changes)}
        # New credentials invalidate tokens the connector obtained with the old ones.
        internal = internal_credentials(connection.connector_class)
        merged = {k: v for k, v in merged.items() if k not in internal}
        validate_credentials(connection.connector_class, merged, supplied=changes)
        if merged != connection.get_credentials():
            connection.set_credentials(merged)
            connection.status = ConnectionStatus.UNVERIFIED
            connection.last_error = ""
            connection.last_error_reason = ""
            fields += ["config", "secrets_encrypted", "status", "last_error", "last_error_reason"]
    connection.save(update_fields=fields)
    return connection


# --- check ---------------------------------------------------------------------------------------------
def run_check(connection: Connection, *, http: HttpClient | None = None) -> CheckResult:
    """Call the vendor. Never raises for a vendor problem: every failure becomes a CheckResult."""
    try:
        connector = build_connector(connection, http=http)
        return connector.check()
    except ConnectorError as exc:
        reason = (
            "unreachable" if exc.code == "unreachable" else ("vendor_unavailable" if not exc.permanent else "error")
        )
        return CheckResult.failure(reason, exc.message, vendor_code=exc.vendor_code, status=exc.status)
    except Exception as exc:  # a connector bug must show as a failed check, not a 500
        log.exception("check of connection %s crashed", connection.pk)
        return CheckResult.failure("error", f"The check failed unexpectedly: {type(exc).__name__}.")


def next_status(previous: str, result: CheckResult) -> str:
    if result.ok:
        return ConnectionStatus.VERIFIED
    if result.reason in UNAVAILABLE_REASONS and previous in (ConnectionStatus.VERIFIED, ConnectionStatus.OFFLINE):
        return ConnectionStatus.OFFLINE
    return ConnectionStatus.FAILED


def check_connection(connection: Connection, *, http: HttpClient | None = None) -> CheckResult:
    """Run the vendor check and record it: status, last check time, last error, and an event (plus an
    alert when going offline) in the same transaction as the status change."""
    result = run_check(connection, http=http)
    record_check(connection, result)
    return result


def record_check(connection: Connection, result: CheckResult) -> Connection:
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        previous = locked.status
        locked.status = next_status(previous, result)
        locked.last_checked_at = timezone.now()
        locked.last_error = "" if result.ok else result.message[:2000]
        locked.last_error_reason = "" if result.ok else result.reason[:60]
        locked.save(update_fields=["status", "last_checked_at", "last_error", "last_error_reason", "updated_at"])
        if locked.status != previous:
            _status_changed(locked, previous, result)
    for name in ("status", "last_checked_at", "last_error", "last_error_reason", "updated_at"):
        setattr(connection, name, getattr(locked, name))
    return connection


def _status_changed(connection: Connection, previous: str, result: CheckResult) -> None:
    emit(
        connection.organization,
        "connection.status.changed",
        {
            "connection_id": connection.pk,
            "connector": connection.connector_type,
            "name": connection.name,
            "status": connection.status,
            "previous_status": previous,
            "reason": result.reason,
            "message": "" if result.ok else result.message,
            "checked_at": connection.last_checked_at.isoformat(),
        },
        key=f"connection:{connection.pk}",
    )
    if connection.status == ConnectionStatus.OFFLINE:
        raise_alert(
            connection.organization,
            "connection_offline",
            f"Connection {connection.name} is offline",
            result.message,
            link=f"/connections/{connection.pk}/",
        )


def connections_to_recheck():
    """Connections the periodic check looks at: the ones that worked (verified) or used to (offline),
    and unverified ones that were never checked (created by the API or the demo seed without a
    check). Failed ones wait for the user to fix and check them."""
    return Connection.objects.filter(
        Q(status__in=[ConnectionStatus.VERIFIED, ConnectionStatus.OFFLINE])
        | Q(status=ConnectionStatus.UNVERIFIED, last_checked_at__isnull=True)
    )


def sample_records(connection: Connection, stream: str, limit: int = 5) -> list[dict]:
    """The first `limit` records of a stream, for the mapping screen."""
    connector = build_connector(connection)
    connector.stream(stream, "read")
    for page in connector.read(stream, page_size=limit):
        if page.records or page.done:
            return page.records[:limit]
    return []
