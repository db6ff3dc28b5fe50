"""Emitting business events: the only way one app tells the others something.

    from ekyam.events.outbox import emit
    emit(organization, "workflow.run.succeeded", {"run_id": run.pk, ...}, key=f"workflow:{wf.pk}")

`emit` writes an outbox row in the caller's transaction (call it inside `transaction.atomic` with the
state change), so an event exists exactly when the change committed.
"""

from __future__ import annotations

from ekyam.events.models import OutboxEvent


def emit(organization, event_type: str, data: dict, *, key: str, version: int = 1) -> OutboxEvent:
    return OutboxEvent.objects.create(
        organization=organization, type=event_type, version=version, key=key, payload=data
    )
