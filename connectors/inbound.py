"""Inbound vendor webhooks: `POST /hooks/<vendor>/<connection webhook token>/`.

The token in the URL identifies the connection (and so the organization). The connector verifies the
signature on the raw body (`verify_webhook`); each verified event is stored once per vendor event id
(InboundWebhook's unique (connection, vendor_event_id)) and becomes an Ekyam event through the outbox in
the same transaction. A redelivery only counts up `duplicate_count`. No vendor is called here: the
answer comes in milliseconds, and the targeted sync happens later, driven by the event.

The event carries the row's id (`inbound_webhook_id`); whoever handles it (the workflow trigger
consumer) closes the row with `mark_handled`: `processed`, or `failed` with the reason. Events emitted
before the id was added are matched by what the receiver put in both: the organization, the
connection, the topic and the very same payload.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors.base import AuthError, ConnectorError, WebhookEvent
from connectors.models import Connection, InboundWebhook
from ekyam.api.errors import error_body
from ekyam.events.outbox import emit

log = logging.getLogger(__name__)


def find_connection(vendor: str, token: str) -> Connection | None:
    # The secret token is the lookup key: there is no organization in the request yet.
    return Connection.objects.select_related("organization").filter(webhook_token=token, connector_type=vendor).first()


def event_data(connection: Connection, event: WebhookEvent) -> dict:
    """The Ekyam event payload: {connection_id, vendor, topic, record_ids, data}."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    record_ids = getattr(event, "record_ids", None) or payload.get("record_ids") or []
    return {
        "connection_id": connection.pk,
        "vendor": connection.connector_type,
        "topic": event.topic,
        "record_ids": [str(r) for r in record_ids],
        "data": payload.get("data", payload),
    }


def record_inbound_events(connection: Connection, events: list[WebhookEvent]) -> list[dict]:
    """Store each verified event once and emit its Ekyam event; duplicates only count up."""
    outcomes = []
    for event in events:
        event_id = str(event.event_id)[:200]
        data = event_data(connection, event)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = InboundWebhook.objects.create(
                        organization=connection.organization,
                        connection=connection,
                        vendor_event_id=event_id,
                        topic=str(event.topic)[:120],
                        payload=data,
                        status=InboundWebhook.Status.RECEIVED if event.ekyam_type else InboundWebhook.Status.IGNORED,
                    )
            except IntegrityError:
                InboundWebhook.objects.filter(connection=connection, vendor_event_id=event_id).update(
                    duplicate_count=F("duplicate_count") + 1
                )
                outcomes.append({"event_id": event_id, "duplicate": True})
                continue
            if event.ekyam_type:
                entity = data["record_ids"][0] if data["record_ids"] else event_id
                emit(
                    connection.organization,
                    event.ekyam_type,
                    # The row's id travels with the event, so whoever handles it can close this row.
                    {"inbound_webhook_id": row.pk, **data},
                    key=f"connection:{connection.pk}:{entity}"[:200],
                )
            outcomes.append({"event_id": event_id, "duplicate": False, "id": row.pk, "type": event.ekyam_type})
    return outcomes


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


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


@csrf_exempt
@require_POST
def receive(request, vendor: str, token: str):
    connection = find_connection(vendor, token)
    if connection is None:
        return _error(404, "not_found", "No connection receives webhooks at this address.")
    body = request.body  # the raw bytes, exactly as signed
    try:
        connector = connection.connector_class(connection.get_credentials())
        events = connector.verify_webhook(dict(request.headers), body)
    except AuthError as exc:
        log.warning("inbound %s webhook for connection %s refused: %s", vendor, connection.pk, exc.message)
        return _error(401, "invalid_signature", exc.message)
    except ConnectorError as exc:
        return _error(400, exc.code or "invalid", exc.message)
    outcomes = record_inbound_events(connection, events)
    duplicates = sum(1 for o in outcomes if o["duplicate"])
    return JsonResponse({"received": len(outcomes) - duplicates, "duplicates": duplicates})
