"""Recording attempt outcomes in batches: attempt rows, delivery status, retries, dead letters.

Successes (the common case) cost one statement per batch on PostgreSQL whatever its size; each
failure is handled on its own inside a savepoint, so one bad record never sinks the batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks import actions, bulk, live, retries
from webhooks.delivery import Job, Result
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint

log = logging.getLogger("webhooks.outcomes")


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL: a receiver answering with one must not make the whole batch
    # of outcomes unrecordable.
    return text.replace("\x00", "\ufffd")


def _attempt_values(job: Job, result: Result) -> tuple:
    """An attempt row in `bulk.ATTEMPT_COLUMNS` order."""
    return (
        job.organization_id,
        job.delivery_id,
        job.number,
        job.trigger,
        DeliveryAttempt.Status.SUCCEEDED if result.ok else DeliveryAttempt.Status.FAILED,
        result.status_code,
        _storable(result.body),
        result.duration_ms,
        _storable(result.error[:500]),
        datetime.fromtimestamp(result.finished_at, tz=UTC),
    )


def record(outcomes: list[tuple[Job, Result]]) -> None:
    if not outcomes:
        return
    now = timezone.now()
    successes = [(job, result) for job, result in outcomes if result.ok]
    replays_succeeded = any(job.trigger == DeliveryAttempt.Trigger.REPLAY or job.schedule_index for job, _ in successes)
    if bulk.enabled() and not replays_succeeded:
        # The common case: one statement (attempt rows, success states, endpoint streaks).
        _record_with_statement(outcomes, successes, now)
    else:
        with transaction.atomic():
            if bulk.enabled():
                _record_with_statement(outcomes, successes, now)
            else:
                _record_with_orm(outcomes, successes, now)
            if replays_succeeded:
                DeadLetter.objects.filter(
                    delivery_id__in=[job.delivery_id for job, _ in successes], status=DeadLetter.Status.REPLAYING
                ).update(status=DeadLetter.Status.REPLAYED, replayed_at=now)
    for job, result in outcomes:
        if result.ok:
            continue
        try:
            with transaction.atomic():
                _record_failure(job, result, now)
        except Exception:
            log.exception("could not record the failed attempt of delivery %s", job.delivery_id)
    live.notify_now({job.organization_id for job, _ in outcomes})


def _record_with_statement(outcomes: list[tuple[Job, Result]], successes: list[tuple[Job, Result]], now) -> None:
    bulk.record_outcomes(
        [_attempt_values(job, result) for job, result in outcomes],
        [(job.delivery_id, job.claim_token, job.number, result.status_code) for job, result in successes],
        now=now,
    )


def _record_with_orm(outcomes: list[tuple[Job, Result]], successes: list[tuple[Job, Result]], now) -> None:
    """`bulk.record_outcomes` through the ORM, for databases other than PostgreSQL."""
    DeliveryAttempt.objects.bulk_create(
        [
            DeliveryAttempt(**dict(zip(bulk.ATTEMPT_COLUMNS, _attempt_values(job, result), strict=True)))
            for job, result in outcomes
        ]
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for job, result in successes:
        groups[(job.claim_token, job.number, result.status_code)].append(job.delivery_id)
    endpoint_ids: set[int] = set()
    for (token, number, code), ids in groups.items():
        held = Delivery.objects.filter(
            Q(claim_token=token) | Q(claim_token="", status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]),
            pk__in=ids,
        )
        endpoint_ids.update(held.values_list("endpoint_id", flat=True))
        held.update(
            status=Delivery.Status.SUCCEEDED,
            attempt_count=number,
            last_status_code=code,
            last_error="",
            delivered_at=now,
            next_attempt_at=None,
            claimed_until=None,
            claim_token="",
            updated_at=now,
        )
    Endpoint.objects.filter(pk__in=endpoint_ids).filter(
        Q(failing_since__isnull=False) | Q(consecutive_failed_messages__gt=0)
    ).update(failing_since=None, consecutive_failed_messages=0)


def _record_failure(job: Job, result: Result, now) -> None:
    # The schedule position from the row, not from the claim: an endpoint enabled or recovered
    # while this attempt was in flight restarted the schedule (`replay_base`), and an attempt that
    # started before the recovery must not dead-letter a message the recovery promised to deliver.
    # Read under the row's lock, held to the end of this transaction: a recovery restarting the
    # schedule meanwhile would otherwise be overwritten by a dead letter made after the recovery
    # replayed the dead letters, and the message lost to it. Now the recovery waits and replays it.
    replay_base = (
        Delivery.objects.select_for_update()
        .filter(pk=job.delivery_id, claim_token=job.claim_token)
        .values_list("replay_base", flat=True)
        .first()
    )
    if replay_base is None:
        return  # another worker owns it now (our lease expired); it will decide
    schedule_index = max(0, job.number - 1 - replay_base)
    Endpoint.objects.filter(pk=job.endpoint_id, failing_since__isnull=True).update(failing_since=now)
    delay = (
        None
        if result.gone
        else retries.next_delay(
            schedule_index + 1,
            retry_after=result.retry_after,
            slow_down=result.slow_down,
            schedule=job.retry_schedule,
        )
    )
    if delay is not None:
        Delivery.objects.filter(pk=job.delivery_id, claim_token=job.claim_token).update(
            status=Delivery.Status.RETRYING,
            attempt_count=job.number,
            last_status_code=result.status_code,
            last_error=result.error[:500],
            next_attempt_at=now + timedelta(seconds=delay),
            claimed_until=None,
            claim_token="",
            updated_at=now,
        )
        actions.check_auto_disable(job.endpoint_id)
        return
    updated = Delivery.objects.filter(pk=job.delivery_id, claim_token=job.claim_token).update(
        attempt_count=job.number, last_status_code=result.status_code, last_error=result.error[:500]
    )
    if not updated:
        return  # another worker owns it now (our lease expired); it will decide
    delivery = Delivery.objects.select_related("endpoint__organization", "message").get(pk=job.delivery_id)
    if result.gone:
        reason = "The endpoint answered 410 Gone; it has been disabled."
    else:
        reason = f"All {schedule_index + 1} attempts failed; last: {result.error or 'no response'}"
    actions.dead_letter(delivery, reason)
    if result.gone:
        actions.disable_endpoint(delivery.endpoint, "The endpoint answered 410 Gone.", automatic=True)
    else:
        actions.check_auto_disable(job.endpoint_id)
