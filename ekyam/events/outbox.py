"""Emitting business events: the only way one app tells the others something.

    from ekyam.events.outbox import emit
    emit(organization, "workflow.run.succeeded", {"run_id": run.pk, ...}, key=f"workflow:{wf.pk}")

`emit` writes an outbox row in the caller's transaction (call it inside `transaction.atomic` with the
state change), so an event exists exactly when the change committed.
"""

from __future__ import annotations

from django.utils import timezone

from ekyam.db import binding_cursor, set_based_writes
from ekyam.events import tracing
from ekyam.events.models import OutboxEvent


def emit(organization, event_type: str, data: dict, *, key: str, version: int = 1) -> OutboxEvent:
    trace_context = (
        tracing.emit_context(event_type, organization_id=organization.pk, key=key) if tracing.enabled() else ""
    )
    return OutboxEvent.objects.create(
        organization=organization, type=event_type, version=version, key=key, payload=data, trace_context=trace_context
    )


_CONFIRM_SQL = f"""
UPDATE {OutboxEvent._meta.db_table} SET stored_at = %(now)s
WHERE id IN (
    SELECT id FROM {OutboxEvent._meta.db_table} WHERE event_id = ANY(%(events)s::uuid[]) AND stored_at IS NULL
    ORDER BY id FOR UPDATE
)
"""


def confirm_stored(event_ids: list) -> None:
    """Mark these events stored by their consumer: the relay will not publish them again after the
    broker loses what it acknowledged (see `relay.republish_unconfirmed`). Rows are locked in id
    order, so two consumers confirming the same republished events never deadlock."""
    if not event_ids:
        return
    now = timezone.now()
    if set_based_writes():
        with binding_cursor() as cursor:
            cursor.execute(_CONFIRM_SQL, {"now": now, "events": event_ids})
    else:
        OutboxEvent.objects.filter(event_id__in=event_ids, stored_at__isnull=True).update(stored_at=now)
