"""Fan-out: turn a batch of events from Kafka into one message and one delivery per subscribed
endpoint, stored before any attempt (and before the consumer commits its offsets).

Deliveries are inserted already claimed by the storing process (a lease), so it can attempt them
at once without another query; if it dies first, the lease expires and the scheduler retries them.
Events seen before (the relay republished, offsets were not committed) insert nothing: messages
are unique per (organization, event_id) and deliveries per (message, endpoint).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ekyam.events import kafka, tracing
from ekyam.events.outbox import confirm_stored as _confirm_outbox
from webhooks import actions, bulk, conf, delivery, live
from webhooks.dispatcher import new_claim_token
from webhooks.event_types import DELIVERY_META_TYPES
from webhooks.models import Delivery, Endpoint, Message

log = logging.getLogger("webhooks.fanout")


def _targets(event: dict, endpoints: list[Endpoint]) -> list[Endpoint]:
    event_type = event["type"]
    data = event.get("data") or {}
    found = []
    for endpoint in endpoints:
        if not endpoint.subscribes_to(event_type) or not endpoint.matches(data):
            continue
        # An endpoint never receives the news of its own failure (it would fail on it again).
        if event_type in DELIVERY_META_TYPES and data.get("endpoint_id") == endpoint.pk:
            continue
        found.append(endpoint)
    return found


def store(events: list[dict]) -> list[delivery.Job]:
    """Store messages + deliveries for the events; return jobs for the deliveries created now."""
    try:
        return _store(events)
    except (IntegrityError, DataError, ValueError, KeyError, TypeError):
        # A bad event (its organization deleted meanwhile, a field the schema cannot hold, a malformed
        # id or date): store one by one, dropping only the bad ones. Errors of the database itself
        # (OperationalError) go up: the consumer retries the whole batch and commits no offset.
        jobs = []
        for event in events:
            try:
                jobs.extend(_store([event]))
            except (IntegrityError, DataError, ValueError, KeyError, TypeError) as exc:
                log.warning("dropping event %s: %s: %s", event.get("event_id"), type(exc).__name__, exc)
        return jobs


def confirm_stored(events: list[dict]) -> None:
    """Tell the relay these events are stored (`OutboxEvent.stored_at`): it will not need to
    publish them again if the broker loses them."""
    ids = []
    for event in events:
        try:
            ids.append(uuid.UUID(str(event["event_id"])))
        except (KeyError, ValueError):
            continue
    _confirm_outbox(ids)


def store_and_confirm(events: list[dict]) -> list[delivery.Job]:
    """The webhook consumer's handler: store the batch, then confirm it to the outbox (before the
    offsets are committed)."""
    jobs = store(events)
    confirm_stored(events)
    return jobs


def _store(events: list[dict]) -> list[delivery.Job]:
    org_ids = {e["organization_id"] for e in events}
    by_org: dict[int, list[Endpoint]] = defaultdict(list)
    # Disabled endpoints too: their deliveries are stored held (unclaimed; attempted once the
    # endpoint is enabled again or recovered), so nothing emitted meanwhile is lost to them.
    for endpoint in Endpoint.objects.filter(organization_id__in=org_ids):
        by_org[endpoint.organization_id].append(endpoint)
    if not by_org:
        return []
    now = timezone.now()
    plans: list[tuple[bulk.NewMessage, list[Endpoint]]] = []
    for event in events:
        targets = _targets(event, by_org.get(event["organization_id"], []))
        if not targets:
            continue
        event_id = uuid.UUID(event["event_id"])
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        body = actions.message_body(event["type"], occurred_at, event.get("data") or {})
        message = bulk.NewMessage(
            organization_id=event["organization_id"],
            event_id=event_id,
            webhook_id=actions.webhook_id_for(event_id),
            event_type=event["type"],
            body_json=delivery.encode_body(body).decode(),
            occurred_at=occurred_at,
            published_at=event.get("published_at"),
            event_key=str(event.get("key") or "")[:200],
            trace_context=_trace_context(event, event_id),
        )
        plans.append((message, targets))
    if not plans:
        return []
    token = new_claim_token()
    lease_until = now + timedelta(seconds=conf.get("WEBHOOK_CLAIM_LEASE_SECONDS"))
    with transaction.atomic():
        if bulk.enabled():
            created = bulk.store_messages_and_deliveries(
                [message for message, _ in plans],
                [
                    (index, endpoint.pk, endpoint.is_active and not endpoint.ordered)
                    for index, (_, targets) in enumerate(plans)
                    for endpoint in targets
                ],
                now=now,
                token=token,
                lease_until=lease_until,
            )
        else:
            created = _store_with_orm(plans, now, token, lease_until)
    if created:
        live.notify_now({message.organization_id for message, _ in plans})
    endpoints = {e.pk: e for group in by_org.values() for e in group}
    jobs = []
    for delivery_id, endpoint_id, message_index in created:
        # The body of a message stored before (a redelivered event) is the one built here: it is
        # derived from the event alone.
        message, endpoint = plans[message_index][0], endpoints[endpoint_id]
        if not endpoint.is_active or endpoint.ordered:
            continue  # held, or claimed by the scheduler in order
        jobs.append(
            delivery.Job(
                delivery_id=delivery_id,
                organization_id=message.organization_id,
                body=message.body_json.encode(),
                number=1,
                schedule_index=0,
                claim_token=token,
                **delivery.addressing(endpoint, message),
            )
        )
    return jobs


def _trace_context(event: dict, event_id: uuid.UUID) -> str:
    """The context a traced event's attempts continue: the span of its time in Kafka and in this
    consumer (from the broker's timestamp to now), or the event's own when tracing is off here."""
    parent = event.get("traceparent") or ""
    if not parent:
        return ""
    published_at = event.get("published_at")
    return tracing.hop(
        f"process {kafka.events_topic()}",
        str(parent)[:55],
        "CONSUMER",
        {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.message.id": str(event_id),
            "ekyam.event.type": event["type"],
            "ekyam.organization.id": event["organization_id"],
        },
        start_time=published_at.timestamp() if published_at else None,
    )


def _store_with_orm(plans, now, token: str, lease_until) -> list[bulk.CreatedDelivery]:
    """`bulk.store_messages_and_deliveries` through the ORM, for databases other than PostgreSQL."""
    Message.objects.bulk_create(
        [
            Message(
                organization_id=m.organization_id,
                event_id=m.event_id,
                webhook_id=m.webhook_id,
                event_type=m.event_type,
                body=json.loads(m.body_json),
                occurred_at=m.occurred_at,
                published_at=m.published_at,
                event_key=m.event_key,
                trace_context=m.trace_context,
                created_at=now,
            )
            for m, _ in plans
        ],
        ignore_conflicts=True,
    )
    stored = {
        (organization_id, event_id): pk
        for pk, organization_id, event_id in Message.objects.filter(
            webhook_id__in=[m.webhook_id for m, _ in plans]
        ).values_list("pk", "organization_id", "event_id")
    }
    Delivery.objects.bulk_create(
        [
            Delivery(
                organization_id=m.organization_id,
                message_id=stored[(m.organization_id, m.event_id)],
                endpoint_id=endpoint.pk,
                next_attempt_at=now,
                claim_token=token if endpoint.is_active and not endpoint.ordered else "",
                claimed_until=lease_until if endpoint.is_active and not endpoint.ordered else None,
                created_at=now,
            )
            for m, targets in plans
            for endpoint in targets
        ],
        ignore_conflicts=True,
    )
    index_of_message: dict[int, int] = {}
    for index, (m, _) in enumerate(plans):
        index_of_message.setdefault(stored[(m.organization_id, m.event_id)], index)
    return [
        bulk.CreatedDelivery(delivery_id=pk, endpoint_id=endpoint_id, message_index=index_of_message[message_id])
        for pk, message_id, endpoint_id in Delivery.objects.filter(
            Q(claim_token=token)
            | Q(claim_token="", created_at=now, endpoint__is_active=False)
            | Q(claim_token="", created_at=now, endpoint__ordered=True),
            message_id__in=set(stored.values()),
        ).values_list("pk", "message_id", "endpoint_id")
    ]
