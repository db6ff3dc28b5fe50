"""Inbound vendor webhooks: `POST /hooks/<vendor>/<connection webhook token>/`.

The token in the URL identifies the connection (and so the organization). The connector verifies the
signature on the raw body (`verify_webhook`); each verified event is stored once per signed body: the
dedupe key (InboundWebhook's unique (connection, vendor_event_id)) is the SHA-256 of the raw body the
signature covers, never an unsigned header, so re-sending a captured body with a new
`X-Whiplash-Event-Id` / `X-Shopify-Event-Id` or a swapped `X-Shopify-Topic` is a duplicate (the vendor's
header id is kept in the stored payload as `delivery_id`). A body whose own timestamp lies outside the
freshness window (`connectors.conf.INBOUND_WEBHOOK_MAX_AGE_SECONDS`, 72 h; the clock skew ahead) is
refused with 400 `stale_webhook`. A validly signed body that is not the shape the vendor sends (too deep,
wrong types) is a 400 `invalid_payload` in the error shape, never a server error. Each event becomes
an Ekyam event through the outbox in the same transaction. A redelivery only counts up `duplicate_count`. No vendor is called here: the
answer comes in milliseconds, and the targeted sync happens later, driven by the event.

The event carries the row's id (`inbound_webhook_id`); whoever handles it (the workflow trigger
consumer) closes the row with `mark_handled`: `processed`, or `failed` with the reason. Events emitted
before the id was added are matched by what the receiver put in both: the organization, the
connection, the topic and the very same payload.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors import conf
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


class BadPayload(ValueError):
    """A verified body the receiver refuses (400): stale, or not the shape the vendor sends."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def dedupe_key(body: bytes, index: int, count: int) -> str:
    """What the signature covers: the raw body's hash (and the event's place in it, if it holds several)."""
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    return digest if count == 1 else f"{digest}#{index}"


def check_fresh(occurred_at, now: datetime | None = None) -> None:
    if occurred_at in (None, ""):
        return  # no timestamp in the body: the body's hash still dedupes it
    if not isinstance(occurred_at, str):
        raise BadPayload("invalid_payload", "The webhook body's timestamp is not a string.")
    try:
        moment = datetime.fromisoformat(occurred_at.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(
            "invalid_payload", f"The webhook body's timestamp {occurred_at[:40]!r} is not ISO 8601."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if moment < now - timedelta(seconds=conf.INBOUND_WEBHOOK_MAX_AGE_SECONDS):
        raise BadPayload(
            "stale_webhook",
            f"The webhook body is from {moment.isoformat()}, older than the "
            f"{conf.INBOUND_WEBHOOK_MAX_AGE_SECONDS // 3600} h freshness window: refused as a replay.",
        )
    if moment > now + timedelta(seconds=conf.INBOUND_WEBHOOK_CLOCK_SKEW_SECONDS):
        raise BadPayload("stale_webhook", f"The webhook body is dated in the future ({moment.isoformat()}).")


def prepare_events(
    connection: Connection, events: list[WebhookEvent], body: bytes
) -> list[tuple[str, WebhookEvent, dict]]:
    """(dedupe key, event, Ekyam payload) for each event, or BadPayload: nothing is stored until every
    event of the body is acceptable."""
    prepared = []
    for index, event in enumerate(events):
        check_fresh(event.occurred_at)
        data = event_data(connection, event)
        data["delivery_id"] = str(event.event_id)[:200]  # the vendor's (unsigned) header id, for people
        json.dumps(data)  # a payload the database can store (raises on absurd nesting)
        prepared.append((dedupe_key(body, index, len(events)), event, data))
    return prepared


def record_inbound_events(connection: Connection, prepared: list[tuple[str, WebhookEvent, dict]]) -> list[dict]:
    """Store each verified event once and emit its Ekyam event; duplicates only count up."""
    outcomes = []
    for event_id, event, data in prepared:
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
        prepared = prepare_events(connection, events, body)
    except AuthError as exc:
        log.warning("inbound %s webhook for connection %s refused: %s", vendor, connection.pk, exc.message)
        return _error(401, "invalid_signature", exc.message)
    except ConnectorError as exc:
        return _error(400, exc.code or "invalid", exc.message)
    except BadPayload as exc:
        return _error(400, exc.code, exc.message)
    except (RecursionError, TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # Signed by the vendor's secret, but not the shape the vendor sends (100k-deep JSON, an object
        # where a string belongs …): refused, never a server error.
        log.warning("inbound %s webhook for connection %s has an odd payload: %s", vendor, connection.pk,
                    type(exc).__name__)  # fmt: skip
        return _error(400, "invalid_payload", "The webhook body is signed but is not the shape this vendor sends.")
    outcomes = record_inbound_events(connection, prepared)
    duplicates = sum(1 for o in outcomes if o["duplicate"])
    return JsonResponse({"received": len(outcomes) - duplicates, "duplicates": duplicates})
