"""A connection's life in the portal: checked before it is stored, renamed, its credentials changed
(checked again before they replace the stored ones), and deleted with what depends on it named.

A failed check stores nothing: `CheckFailed` carries the vendor's reason (and the credential field it
points at, when it points at one) back to the page, which shows it beside that field.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from connectors.actions import _clean, internal_credentials, record_check, validate_credentials
from connectors.base import CheckResult, ConnectorError
from connectors.models import Connection
from ekyam.http import HttpClient, RequestException, UnsafeDestination
from ekyam.tenancy import scoped

log = logging.getLogger(__name__)
# Check reasons that point at one kind of credential field: the address (where the vendor is) or the keys.
ADDRESS_REASONS = frozenset({"unreachable", "redirected", "not_found", "wrong_account", "vendor_unavailable"})
# What the user can do about a failed check, by its reason (shown after the vendor's own message).
WHAT_TO_DO = {
    "unreachable": "Check the address, and that the service answers there, then check again.",
    "not_found": "Check the address (and the account it names), then check again.",
    "wrong_account": "Check the account ID against the address, then check again.",
    "invalid_credentials": "Copy the keys again from the vendor's settings and type the secrets again.",
    "missing_scopes": "Grant the missing access scopes to the app in the vendor's admin, then check again.",
    "missing_permission": "Give the role the missing permission in the vendor's admin, then check again.",
    "clock_skew": "Set this server's clock right (NTP), then check again.",
    "vendor_unavailable": "The vendor is not answering properly now: check again in a minute.",
}
NAME_TAKEN = "Another connection of this organization is already called {name!r}: choose another name."


class CheckFailed(Exception):
    def __init__(self, result: CheckResult, field: str | None):
        super().__init__(result.message)
        self.result = result
        self.field = field  # the credential field the failure points at, or None

    @property
    def advice(self) -> str:
        """The vendor's reason and what to do about it, in one sentence pair."""
        hint = WHAT_TO_DO.get(self.result.reason, "Correct the fields and check again.")
        return f"{self.result.message.rstrip()} {hint}"


def probe(connector_class, credentials: dict) -> tuple[CheckResult, dict]:
    """Run the vendor check on credentials that are not stored. Returns the result and the tokens the
    connector obtained on the way (kept when the connection is then stored)."""
    obtained: dict[str, str] = {}
    try:
        connector = connector_class(dict(credentials), http=HttpClient(), on_credentials_changed=obtained.update)
        result = connector.check()
    except ConnectorError as exc:
        reason = (
            "unreachable" if exc.code == "unreachable" else ("vendor_unavailable" if not exc.permanent else "error")
        )
        result = CheckResult.failure(reason, exc.message, vendor_code=exc.vendor_code, status=exc.status)
    except Exception as exc:  # a connector bug must show as a failed check, not a 500
        log.exception("check of unsaved %s credentials crashed", connector_class.slug)
        result = CheckResult.failure("error", f"The check failed unexpectedly: {type(exc).__name__}.")
    return result, obtained


def failed_field(connector_class, result: CheckResult) -> str | None:
    """The credential field a failed check points at: the address when the vendor was not reached there,
    else the first secret (wrong keys); None when it is about neither."""
    fields = connector_class.credential_fields
    if result.details.get("field") in {f.name for f in fields}:
        return result.details["field"]
    if result.reason in ADDRESS_REASONS:
        return next((f.name for f in fields if f.address), None)
    if result.reason in ("invalid_credentials", "error", "forbidden", "missing_scopes", "clock_skew"):
        return next((f.name for f in fields if f.secret), None)
    return None


def _name_error(organization, name: str, exclude_pk: int | None = None) -> None:
    taken = scoped(Connection, organization).filter(name=name).exclude(pk=exclude_pk).exists()
    if taken:
        raise DjangoValidationError({"name": [NAME_TAKEN.format(name=name)]})


def create_checked_connection(organization, *, connector_type: str, name: str, credentials: dict) -> Connection:
    """Check the credentials, then store the connection as verified. Raises DjangoValidationError for bad
    input (name taken, fields missing) and CheckFailed when the vendor refused; then nothing is stored."""
    from connectors.registry import get_connector

    connector_class = get_connector(connector_type)
    _name_error(organization, name)
    cleaned = _clean(connector_class, credentials)
    validate_credentials(connector_class, cleaned, supplied=credentials)
    result, obtained = probe(connector_class, cleaned)
    if not result.ok:
        raise CheckFailed(result, failed_field(connector_class, result))
    connection = Connection(
        organization=organization,
        connector_type=connector_type,
        name=name,
        concurrency_limit=connector_class.default_concurrency,
    )
    connection.set_credentials({**cleaned, **obtained})
    try:
        with transaction.atomic():
            connection.save()
            record_check(connection, result)
    except IntegrityError:  # the same name taken in the meantime (a double submit)
        raise DjangoValidationError({"name": [NAME_TAKEN.format(name=name)]}) from None
    subscribe_sandbox_webhooks(connection)
    return connection


def rename_connection(connection: Connection, name: str) -> Connection:
    name = name.strip()
    if not name:
        raise DjangoValidationError({"name": ["Enter a name for this connection."]})
    _name_error(connection.organization, name, exclude_pk=connection.pk)
    try:
        with transaction.atomic():
            connection.name = name
            connection.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise DjangoValidationError({"name": [NAME_TAKEN.format(name=name)]}) from None
    return connection


def change_credentials(connection: Connection, credentials: dict) -> CheckResult:
    """Check the changed credentials (secrets left empty keep their stored value); only when the check
    passes do they replace the stored ones. Raises CheckFailed otherwise, leaving the connection as it was."""
    connector_class = connection.connector_class
    secret_names = connection.secret_field_names()
    changes = {k: v for k, v in credentials.items() if not (k in secret_names and not v)}
    internal = internal_credentials(connector_class)
    stored = {k: v for k, v in connection.get_credentials().items() if k not in internal}
    merged = {**stored, **_clean(connector_class, changes)}
    validate_credentials(connector_class, merged, supplied=changes)
    result, obtained = probe(connector_class, merged)
    if not result.ok:
        raise CheckFailed(result, failed_field(connector_class, result))
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        locked.set_credentials({**merged, **obtained})
        locked.save(update_fields=["config", "secrets_encrypted", "updated_at"])
        record_check(locked, result)
    connection.refresh_from_db()
    subscribe_sandbox_webhooks(connection)
    return result


def dependents(connection: Connection) -> dict[str, list]:
    """What uses the connection: the workflows whose nodes read from or write to it (they would lose a
    node's connection) and its mappings (deleted with it)."""
    workflows = {}
    for node in connection.workflow_nodes.select_related("workflow").order_by("workflow__name"):
        workflows.setdefault(node.workflow_id, node.workflow)
    return {"workflows": list(workflows.values()), "mappings": list(connection.mappings.order_by("name"))}


def delete_connection(connection: Connection) -> None:
    """Refused while workflows use the connection (named, so the user can change or delete them first);
    its mappings and received webhooks go with it."""
    using = dependents(connection)["workflows"]
    if using:
        names = ", ".join(w.name for w in using)
        raise DjangoValidationError(
            f"{connection.name} is used by the workflow{'s' if len(using) > 1 else ''} {names}. Choose another "
            "connection in their configuration, or delete them, before deleting this connection."
        )
    connection.delete()


def subscribe_sandbox_webhooks(connection: Connection) -> None:
    """On embedded defaults, a connection to a vendor sandbox that sends webhooks subscribes its own
    `/hooks/<vendor>/<token>/` address there (as the vendor's webhook subscription API would), so the
    sandbox's activity reaches this connection's real-time flows."""
    from django.conf import settings

    from connectors.processes import WEBHOOK_SENDERS
    from connectors.sandboxes import is_sandbox_connection, sandbox_url

    if connection.connector_type not in WEBHOOK_SENDERS or not is_sandbox_connection(connection):
        return
    base = sandbox_url(connection.connector_type)
    hooks = f"{settings.BASE_URL.rstrip('/')}/hooks/{connection.connector_type}/{connection.webhook_token}/"
    try:
        HttpClient(max_retries=0, read_timeout=3).post(f"{base}/_sandbox/subscriptions", json={"url": hooks})
    except (RequestException, UnsafeDestination):  # the sandbox may be down; the scheduled syncs still run
        log.warning("could not subscribe %s to the %s sandbox's webhooks", hooks, connection.connector_type)
