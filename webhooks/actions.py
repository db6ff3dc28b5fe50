"""State changes of outgoing webhooks. Views, the API, the admin and the consumer call these."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ekyam import vault
from ekyam.alerts.actions import raise_alert
from ekyam.db import binding_cursor, set_based_writes
from ekyam.events import catalog
from ekyam.events.outbox import emit
from webhooks import conf, dlq, links, live, secrets
from webhooks.delivery import RefusedUrl, check_endpoint_url
from webhooks.event_types import DELIVERY_META_TYPES
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message

log = logging.getLogger("webhooks.actions")


# --- Endpoints -------------------------------------------------------------------------------


MAX_TIMEOUT_SECONDS = 60
MAX_RETRY_ATTEMPTS = 20
MAX_RETRY_STEP_SECONDS = 7 * 86400


def check_delivery_settings(errors: dict, retry_schedule, timeout_seconds, max_concurrency) -> None:
    if (
        retry_schedule is not None
        and retry_schedule != []
        and (
            not isinstance(retry_schedule, list)
            or not all(isinstance(s, int | float) and not isinstance(s, bool) for s in retry_schedule)
            or not 1 <= len(retry_schedule) <= MAX_RETRY_ATTEMPTS
            or any(s < 0 or s > MAX_RETRY_STEP_SECONDS for s in retry_schedule)
        )
    ):
        errors["retry_schedule"] = [
            f"A list of 1 to {MAX_RETRY_ATTEMPTS} waits in seconds (0 to {MAX_RETRY_STEP_SECONDS}) before "
            "attempt 1, 2, …, e.g. [0, 5, 60, 600]; empty uses the default schedule."
        ]
    if timeout_seconds is not None and not (
        isinstance(timeout_seconds, int) and 1 <= timeout_seconds <= MAX_TIMEOUT_SECONDS
    ):
        errors["timeout_seconds"] = [f"Whole seconds from 1 to {MAX_TIMEOUT_SECONDS}; empty uses the default."]
    if max_concurrency is not None and not (isinstance(max_concurrency, int) and 1 <= max_concurrency <= 1000):
        errors["max_concurrency"] = ["From 1 to 1000 attempts in flight; empty uses the default."]


def check_endpoint_fields(
    *,
    url: str,
    event_types: list | None,
    headers: dict | None,
    filter: dict | None,
    retry_schedule: list | None = None,
    timeout_seconds: int | None = None,
    max_concurrency: int | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    check_delivery_settings(errors, retry_schedule, timeout_seconds, max_concurrency)
    try:
        check_endpoint_url(url)
    except RefusedUrl as exc:
        errors["url"] = [str(exc)]
    unknown = sorted(set(event_types or []) - set(catalog.event_types()))
    if unknown:
        errors["event_types"] = [f"Unknown event types: {', '.join(unknown)}."]
    if headers is not None and (
        not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        errors["headers"] = ["Headers must be an object of string names to string values."]
    elif headers and any("\n" in k + v or "\r" in k + v for k, v in headers.items()):
        errors["headers"] = ["Header names and values cannot contain line breaks."]
    if filter is not None and not isinstance(filter, dict):
        errors["filter"] = ["The filter must be an object of field paths to expected values."]
    if errors:
        raise ValidationError(errors)


def create_endpoint(
    organization,
    *,
    url: str,
    description: str = "",
    event_types=None,
    headers=None,
    filter=None,
    rate_limit_per_second: int | None = None,
    retry_schedule: list | None = None,
    timeout_seconds: int | None = None,
    max_concurrency: int | None = None,
    ordered: bool = False,
) -> tuple[Endpoint, str]:
    """Create an endpoint; returns it with its new secret (shown once)."""
    check_endpoint_fields(
        url=url,
        event_types=event_types,
        headers=headers,
        filter=filter,
        retry_schedule=retry_schedule,
        timeout_seconds=timeout_seconds,
        max_concurrency=max_concurrency,
    )
    secret, token = secrets.new_secrets_token()
    endpoint = Endpoint.objects.create(
        organization=organization,
        url=url,
        description=description,
        event_types=list(event_types or []),
        headers=dict(headers or {}),
        filter=dict(filter or {}),
        rate_limit_per_second=rate_limit_per_second,
        retry_schedule=[float(step) for step in retry_schedule or []],
        timeout_seconds=timeout_seconds,
        max_concurrency=max_concurrency,
        ordered=bool(ordered),
        secrets_encrypted=token,
    )
    return endpoint, secret


def update_endpoint(endpoint: Endpoint, **changes) -> Endpoint:
    checked = ("url", "event_types", "headers", "filter", "retry_schedule", "timeout_seconds", "max_concurrency")
    allowed = {*checked, "description", "rate_limit_per_second", "ordered"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "headers" in changes:
        changes["headers"] = unmask_headers(changes["headers"], endpoint.headers)
    merged = {name: changes.get(name, getattr(endpoint, name)) for name in checked}
    check_endpoint_fields(**merged)
    if "retry_schedule" in changes:
        changes["retry_schedule"] = [float(step) for step in changes["retry_schedule"] or []]
    for name, value in changes.items():
        setattr(endpoint, name, value)
    fields = ["headers_encrypted" if name == "headers" else name for name in changes]
    endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def unmask_headers(headers, stored: dict[str, str]):
    """Headers as sent back by a form or client that only saw them masked: a value still equal to its
    mask keeps the stored value."""
    if not isinstance(headers, dict):
        return headers  # check_endpoint_fields names the problem
    return {
        name: stored[name] if name in stored and value == vault.mask(stored[name]) else value
        for name, value in headers.items()
    }


def reveal_secret(endpoint: Endpoint) -> str:
    """The current secret, once per secret: a second reveal needs a rotation."""
    updated = Endpoint.objects.filter(pk=endpoint.pk, secret_revealed_at__isnull=True).update(
        secret_revealed_at=timezone.now()
    )
    if not updated:
        raise ValidationError("The secret was already revealed. Rotate it to get a new one.")
    endpoint.refresh_from_db(fields=["secret_revealed_at"])
    return secrets.current_secret(endpoint.secrets_encrypted)


def rotate_secret(endpoint: Endpoint, overlap_hours: float | None = None) -> str:
    """A new secret; the old one keeps signing alongside it during the overlap window."""
    overlap = timedelta(hours=overlap_hours) if overlap_hours is not None else None
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret, token = secrets.rotated_token(locked.secrets_encrypted, overlap=overlap)
        locked.secrets_encrypted = token
        locked.secret_revealed_at = timezone.now()
        locked.save(update_fields=["secrets_encrypted", "secret_revealed_at", "updated_at"])
    endpoint.secrets_encrypted, endpoint.secret_revealed_at = locked.secrets_encrypted, locked.secret_revealed_at
    return secret


def enable_endpoint(endpoint: Endpoint) -> Endpoint:
    """Enable the endpoint; what was held for it while it was disabled (the messages left on its
    schedule when it was disabled, and those emitted since) is attempted at once, each on a fresh
    retry schedule."""
    now = timezone.now()
    enabled = {
        "is_active": True,
        "disabled_reason": "",
        "disabled_at": None,
        "failing_since": None,
        "consecutive_failed_messages": 0,
    }
    # The endpoint row first, in a transaction of its own: delivery processes lock a delivery and
    # then its endpoint (recording an outcome), so holding the endpoint while waiting for deliveries
    # deadlocked with them.
    disabled = Endpoint.objects.filter(pk=endpoint.pk, is_active=False).values(*enabled).first()
    was_disabled = Endpoint.objects.filter(pk=endpoint.pk, is_active=False).update(**enabled, updated_at=now)
    if not was_disabled:
        Endpoint.objects.filter(pk=endpoint.pk).update(**enabled, updated_at=now)
    else:
        try:
            _restart_held(endpoint, now)
        except Exception:
            # All or nothing: an endpoint left enabled without its held messages restarted would
            # make a second enable or recover a no-op for them. Disabled again as it was, the
            # caller can simply try again.
            if disabled is not None:
                Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(**disabled, updated_at=timezone.now())
            raise
    endpoint.refresh_from_db()
    return endpoint


def _restart_held(endpoint: Endpoint, now) -> None:
    """Held deliveries due at once on a fresh schedule. Claims are left alone: a process still
    finishing an attempt keeps its lease (its outcome reads the new schedule position)."""
    if set_based_writes():
        # Locked in id order (one statement), so two of these never deadlock with each other. Delivery
        # processes update several deliveries at once in no fixed order, so PostgreSQL may still pick
        # this statement as a deadlock's victim: it is all-or-nothing, and tried again.
        for attempt in range(_RESTART_TRIES):
            try:
                with transaction.atomic(), binding_cursor() as cursor:
                    cursor.execute(_RESTART_HELD_SQL, {"endpoint": endpoint.pk, "now": now})
                return
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) != "40P01" or attempt == _RESTART_TRIES - 1:
                    raise
                log.warning("restarting the held deliveries of endpoint %s lost a deadlock; again", endpoint.pk)
    held(endpoint).update(next_attempt_at=now, replay_base=F("attempt_count"), updated_at=now)


_RESTART_TRIES = 5
_RESTART_HELD_SQL = f"""
UPDATE {Delivery._meta.db_table} SET next_attempt_at = %(now)s, replay_base = attempt_count, updated_at = %(now)s
WHERE id IN (
    SELECT id FROM {Delivery._meta.db_table}
    WHERE endpoint_id = %(endpoint)s AND status IN ('pending', 'retrying') ORDER BY id FOR UPDATE
)
"""


def held(endpoint: Endpoint):
    """Deliveries not yet done for the endpoint: while it is disabled, they are held."""
    return Delivery.objects.filter(endpoint=endpoint, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING])


def recover_endpoint(endpoint: Endpoint, since) -> dict:
    """Svix's "recover": everything for this endpoint since `since` is delivered again, the whole
    window and not only dead letters. A disabled endpoint is enabled (its held messages are
    attempted at once) and the dead letters of messages created since then are replayed.
    Returns {"held": n, "replayed": n}."""
    endpoint.refresh_from_db(fields=["is_active"])  # disabled meanwhile, e.g. by a delivery process
    held_count = held(endpoint).filter(message__created_at__gte=since).count() if not endpoint.is_active else 0
    if not endpoint.is_active:
        enable_endpoint(endpoint)
    replayed = replay_dead_letters(
        DeadLetter.objects.filter(endpoint=endpoint, delivery__message__created_at__gte=since)
    )
    return {"held": held_count, "replayed": replayed}


def disable_endpoint(endpoint: Endpoint, reason: str, *, automatic: bool = False) -> bool:
    """Disable once (returns False when it already was), with an event and, if automatic, an alert."""
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_reason=reason[:300], disabled_at=timezone.now(), updated_at=timezone.now()
        )
        if not changed:
            return False
        emit(
            endpoint.organization,
            "webhook.endpoint.disabled",
            {"endpoint_id": endpoint.pk, "url": endpoint.url, "reason": reason},
            key=f"endpoint:{endpoint.pk}",
        )
        if automatic:
            raise_alert(
                endpoint.organization,
                "endpoint_disabled",
                f"Webhook endpoint disabled: {endpoint}",
                reason,
                links.endpoint(endpoint.pk),
                subject=f"endpoint:{endpoint.pk}",
            )
    endpoint.is_active = False
    endpoint.disabled_reason = reason
    return True


def check_auto_disable(endpoint_id: int) -> None:
    endpoint = Endpoint.objects.select_related("organization").filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        return
    period = timedelta(days=conf.get("WEBHOOK_DISABLE_AFTER_DAYS"))
    limit = conf.get("WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES")
    if endpoint.failing_since and timezone.now() - endpoint.failing_since >= period:
        disable_endpoint(
            endpoint,
            f"Every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC ({period.days} days or more).",
            automatic=True,
        )
    elif endpoint.consecutive_failed_messages >= limit:
        disable_endpoint(
            endpoint,
            f"{endpoint.consecutive_failed_messages} consecutive messages failed all their attempts.",
            automatic=True,
        )


# --- Messages and test events ------------------------------------------------------------------


def webhook_id_for(event_id: uuid.UUID) -> str:
    return f"msg_{uuid.UUID(str(event_id)).hex}"


def message_body(event_type: str, occurred_at, data: dict) -> dict:
    return {"type": event_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}


def send_test_event(endpoint: Endpoint) -> Delivery:
    """A `webhook.test` message to this endpoint alone, attempted by the delivery workers at once."""
    now = timezone.now()
    event_id = uuid.uuid4()
    with transaction.atomic():
        message = Message.objects.create(
            organization_id=endpoint.organization_id,
            event_id=event_id,
            webhook_id=webhook_id_for(event_id),
            event_type="webhook.test",
            occurred_at=now,
            body=message_body("webhook.test", now, {"message": "Hello from Ekyam", "endpoint_id": endpoint.pk}),
        )
        live.notify_on_commit([endpoint.organization_id])
        return Delivery.objects.create(
            organization_id=endpoint.organization_id, message=message, endpoint=endpoint, next_attempt_at=now
        )


# --- Attempts on request -------------------------------------------------------------------------


def _why_not_now(delivery: Delivery) -> str | None:
    """Why a delivery cannot be attempted right now, or None when it can."""
    if not delivery.endpoint.is_active:
        return (
            f"The endpoint {delivery.endpoint.url} is disabled: enable it first "
            "(what was held for it is delivered then)."
        )
    if delivery.claim_token and delivery.claimed_until and delivery.claimed_until > timezone.now():
        return "An attempt of this delivery is in progress right now; its result appears in a moment."
    return None


def retry_delivery_now(delivery: Delivery) -> Delivery:
    """A failing delivery's next attempt now instead of at its scheduled time (it stays on its schedule:
    if this attempt fails too, the next step of the schedule follows). A dead-lettered delivery is
    replayed from the start of its schedule. Raises ValidationError saying why when it cannot be."""
    delivery.refresh_from_db()
    reason = _why_not_now(delivery)
    if reason is None and delivery.status == Delivery.Status.SUCCEEDED:
        reason = "This delivery already succeeded; use “Resend now” on the message to deliver it again."
    if reason:
        raise ValidationError(reason)
    now = timezone.now()
    with transaction.atomic():
        if delivery.status == Delivery.Status.DEAD:
            _requeue(delivery, now)
        else:
            Delivery.objects.filter(
                _unclaimed(now), pk=delivery.pk, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
            ).update(next_attempt_at=now, claimed_until=None, claim_token="", updated_at=now)
        live.notify_on_commit([delivery.organization_id])
    delivery.refresh_from_db()
    return delivery


def resend_message(message: Message) -> list[Delivery]:
    """Deliver a message again now to each active endpoint it was for, whatever its deliveries' states
    (delivered, failing or dead-lettered), each on a fresh retry schedule. Returns the deliveries queued;
    raises ValidationError saying why when none could be."""
    now = timezone.now()
    queued, refusals = [], []
    for delivery in message.deliveries.select_related("endpoint").order_by("pk"):
        reason = _why_not_now(delivery)
        if reason:
            refusals.append(reason)
            continue
        with transaction.atomic():
            if _requeue(delivery, now):
                queued.append(delivery)
    if not queued:
        raise ValidationError(" ".join(dict.fromkeys(refusals)) or "This message was not for any endpoint.")
    live.notify_on_commit([message.organization_id])
    return queued


def _requeue(delivery: Delivery, now) -> bool:
    """Due now, from the first step of its schedule; a dead letter of it is marked replaying."""
    updated = Delivery.objects.filter(_unclaimed(now), pk=delivery.pk).update(**_rescheduled(now))
    if updated:
        DeadLetter.objects.filter(delivery_id=delivery.pk, status=DeadLetter.Status.DEAD).update(
            status=DeadLetter.Status.REPLAYING, replayed_at=now
        )
    return bool(updated)


def _rescheduled(now) -> dict:
    """The fields of a delivery put back on its schedule from the first step, due now and unclaimed."""
    return {
        "status": Delivery.Status.PENDING,
        "replay_base": F("attempt_count"),
        "next_attempt_at": now,
        "claimed_until": None,
        "claim_token": "",
        "updated_at": now,
    }


def _unclaimed(now) -> Q:
    """No process holds the delivery (never claimed, released, or its lease ran out)."""
    return Q(claim_token="") | Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


# --- Dead letters --------------------------------------------------------------------------------


def dead_letter(delivery: Delivery, reason: str) -> DeadLetter:
    """Move an exhausted delivery to the DLQ: row (payload, every attempt, reason), topic, event, alert."""
    endpoint = delivery.endpoint
    message = delivery.message
    attempts = [a.as_dict() for a in DeliveryAttempt.objects.filter(delivery=delivery).order_by("number", "pk")]
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.DEAD,
            claimed_until=None,
            claim_token="",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        dead, _ = DeadLetter.objects.update_or_create(
            delivery=delivery,
            defaults={
                "organization_id": delivery.organization_id,
                "endpoint": endpoint,
                "event_type": message.event_type,
                "payload": message.body,
                "attempts": attempts,
                "reason": reason[:500],
                "status": DeadLetter.Status.DEAD,
                "created_at": timezone.now(),
            },
        )
        Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failed_messages=F("consecutive_failed_messages") + 1)
        if message.event_type not in DELIVERY_META_TYPES:
            emit(
                endpoint.organization,
                "webhook.message.dead_lettered",
                {
                    "dead_letter_id": dead.pk,
                    "endpoint_id": endpoint.pk,
                    "event_id": str(message.event_id),
                    "event_type": message.event_type,
                    "reason": reason,
                    "attempts": len(attempts),
                },
                key=f"endpoint:{endpoint.pk}",
            )
        # One alert per endpoint and cause until it is notified, counting the messages.
        cause = f"HTTP {delivery.last_status_code}" if delivery.last_status_code else _cause(delivery.last_error)
        raise_alert(
            endpoint.organization,
            "dlq",
            f"Webhook messages dead-lettered at {endpoint} ({cause})",
            f"Endpoint {endpoint.url}: {reason} (latest: {message.event_type}, dead letter {dead.pk})",
            links.dead_letters_of(endpoint.pk),
            subject=f"endpoint:{endpoint.pk}:{cause}",
        )
        transaction.on_commit(lambda: _publish_dead_letter(dead.pk))
    return dead


def _cause(error: str) -> str:
    """The kind of a failure without its details, e.g. "Timed out" or "ConnectionError"."""
    for separator in (":", " after "):
        error = error.split(separator)[0]
    return error.strip()[:60] or "no response"


def _publish_dead_letter(dead_letter_id: int) -> None:
    try:
        dlq.publish_dead_letter(dead_letter_id)
    except Exception:
        log.exception("could not publish dead letter %s to the DLQ topic", dead_letter_id)


def replay_dead_letters(queryset) -> int:
    """Put dead letters back on the schedule (from its first step). Returns how many were replayed."""
    now = timezone.now()
    count = 0
    for dead in queryset.select_related("delivery", "endpoint").filter(status=DeadLetter.Status.DEAD):
        with transaction.atomic():
            updated = DeadLetter.objects.filter(pk=dead.pk, status=DeadLetter.Status.DEAD).update(
                status=DeadLetter.Status.REPLAYING, replayed_at=now
            )
            if not updated:
                continue
            Delivery.objects.filter(pk=dead.delivery_id).update(**_rescheduled(now))
            count += 1
    return count


def replay_dead_letter(dead: DeadLetter) -> bool:
    return bool(replay_dead_letters(DeadLetter.objects.filter(pk=dead.pk)))


def delete_dead_letters(queryset) -> int:
    """Forget dead letters (the delivery row stays, marked dead, until retention prunes it)."""
    deleted, _ = queryset.filter(status__in=[DeadLetter.Status.DEAD, DeadLetter.Status.REPLAYED]).delete()
    return deleted
