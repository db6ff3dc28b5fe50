"""State changes of connections. Views, API, admin and tasks call these."""

from __future__ import annotations

from django.db import transaction

from connectors.limits import limiter_for
from connectors.models import Connection
from ekyam.http import HttpClient


def persist_credential_updates(connection_id: int, updates: dict[str, str]) -> None:
    """Store rotated tokens atomically (a refresh token may be used once: losing the new one locks us out)."""
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection_id)
        credentials = locked.get_credentials()
        credentials.update(updates)
        locked.set_credentials(credentials)
        locked.save(update_fields=["config", "secrets_encrypted", "updated_at"])


def build_connector(connection: Connection, *, http: HttpClient | None = None):
    """A ready-to-use connector instance for a stored connection."""
    return connection.connector_class(
        connection.get_credentials(),
        http=http or HttpClient(),
        on_credentials_changed=lambda updates: persist_credential_updates(connection.pk, updates),
        concurrency_limiter=limiter_for(connection),
    )
