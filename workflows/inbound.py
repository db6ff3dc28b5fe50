"""Closing the loop on inbound vendor webhooks.

A verified vendor webhook is stored as an `InboundWebhook` row (status `received`) and becomes an Ekyam
event on the bus that carries the row's id (`inbound_webhook_id`). When the trigger consumer has handled
that event (started the targeted runs, or found no workflow interested) the row says so: `processed`, or
`failed` with the reason. Events emitted before the id was added are matched by what the receiver put in
both: the organization, the connection, the topic and the very same payload.
"""

from __future__ import annotations

from webhooks.models import InboundWebhook


def mark_handled(event: dict, *, error: str = "") -> int:
    """Mark the inbound webhook(s) behind a bus event processed (or failed); returns how many rows changed."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    connection_id, topic = data.get("connection_id"), data.get("topic")
    if not (event.get("organization_id") and connection_id and topic and data.get("vendor")):
        return 0  # not an event born from a vendor webhook
    status = InboundWebhook.Status.FAILED if error else InboundWebhook.Status.PROCESSED
    rows = InboundWebhook.objects.filter(
        organization_id=event["organization_id"], connection_id=connection_id, status=InboundWebhook.Status.RECEIVED
    )
    if data.get("inbound_webhook_id"):
        rows = rows.filter(pk=data["inbound_webhook_id"])
    else:
        rows = rows.filter(topic=str(topic)[:120], payload=data)
    return rows.update(status=status, error=error[:2000])
