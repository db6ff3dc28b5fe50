"""The outbox relay: publishes committed outbox rows to Kafka, then marks them published.

Rows of a rolled-back transaction never existed, so they are never published. If the relay dies
after the broker acknowledged but before the mark, the rows are published again on restart
(at-least-once); consumers deduplicate on `event_id`. Run one relay: a second one is safe (batches
are claimed with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so nothing is sent twice by them),
but per-entity ordering across batches is only guaranteed with a single relay.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from ekyam.db import binding_cursor, set_based_writes
from ekyam.events import conf, kafka
from ekyam.events.models import OutboxEvent

log = logging.getLogger("ekyam.events.relay")


class PublishFailed(Exception):
    pass


_CLAIM_OUTBOX_SQL = f"""
UPDATE {OutboxEvent._meta.db_table} SET published_at = %(now)s
WHERE id IN (
    SELECT id FROM {OutboxEvent._meta.db_table} WHERE published_at IS NULL ORDER BY id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id, event_id, organization_id, type, version, key, payload::text, occurred_at
"""


def mark_outbox_batch(limit: int, *, now) -> list[tuple]:
    """Mark up to `limit` unpublished outbox rows published and return them in id order, as
    (id, event_id, organization_id, type, version, key, payload JSON text, occurred_at). One
    statement instead of a locking SELECT and an UPDATE, and the payload as JSON text (the relay
    sends it as it is, without decoding and encoding it). Call inside the transaction that
    publishes them: rolled back, the rows are unpublished again."""
    with binding_cursor() as cursor:
        cursor.execute(_CLAIM_OUTBOX_SQL, {"now": now, "limit": limit})
        return sorted(cursor.fetchall())  # RETURNING has no order; the relay keeps id order


def _unpublished(batch_size: int):
    queryset = OutboxEvent.objects.filter(published_at__isnull=True).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset[:batch_size])


def _rows_as_messages(batch_size: int) -> tuple[list[tuple[bytes, bytes]], list[int]]:
    """(Kafka key, value) of up to `batch_size` unpublished rows in id order, and the ids still to
    mark published after the broker acknowledged them (on PostgreSQL they are marked already, in
    this transaction, by the statement that picked them)."""
    if set_based_writes():
        rows = mark_outbox_batch(batch_size, now=timezone.now())
        return [
            (
                kafka.partition_key(organization_id, key),
                kafka.encode_event_with_payload_json(
                    event_id=event_id,
                    organization_id=organization_id,
                    type=type_,
                    version=version,
                    key=key,
                    payload_json=payload_json,
                    occurred_at=occurred_at,
                ),
            )
            for _pk, event_id, organization_id, type_, version, key, payload_json, occurred_at in rows
        ], []
    rows = _unpublished(batch_size)
    return [
        (
            kafka.partition_key(row.organization_id, row.key),
            kafka.encode_event(
                event_id=row.event_id,
                organization_id=row.organization_id,
                type=row.type,
                version=row.version,
                key=row.key,
                data=row.payload,
                occurred_at=row.occurred_at,
            ),
        )
        for row in rows
    ], [row.pk for row in rows]


def _publish(producer, topic: str, messages: list[tuple[bytes, bytes]], flush_timeout: float) -> None:
    failures: list[str] = []

    def on_delivery(err, msg):
        if err is not None:
            failures.append(str(err))

    for key, value in messages:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let librdkafka drain it
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(flush_timeout)
    if remaining or failures:
        raise PublishFailed(f"{remaining} unacknowledged, {len(failures)} failed: {failures[:1]}")


def relay_once(producer, batch_size: int | None = None, flush_timeout: float = 30.0) -> int:
    """Publish one batch; return how many rows were published and marked."""
    batch_size = batch_size or conf.get("OUTBOX_RELAY_BATCH")
    with transaction.atomic():
        messages, to_mark = _rows_as_messages(batch_size)
        if not messages:
            return 0
        # Raising rolls the transaction back: nothing is marked, the whole batch is published again
        # next time (consumers dedupe).
        _publish(producer, kafka.events_topic(), messages, flush_timeout)
        if to_mark:
            OutboxEvent.objects.filter(pk__in=to_mark).update(published_at=timezone.now())
    return len(messages)


def make_producer():
    from confluent_kafka import Producer

    return Producer(kafka.producer_config())


def run(stop=lambda: False, idle_sleep: float | None = None) -> None:
    idle_sleep = idle_sleep if idle_sleep is not None else conf.get("OUTBOX_RELAY_IDLE_SECONDS")
    kafka.ensure_topics()
    producer = make_producer()
    log.info("outbox relay publishing to %s", kafka.events_topic())
    while not stop():
        try:
            published = relay_once(producer)
        except PublishFailed as exc:
            log.warning("outbox batch not acknowledged, will retry: %s", exc)
            time.sleep(1.0)
            continue
        except Exception:
            log.exception("outbox relay error; retrying in 1 s")
            connection.close()
            time.sleep(1.0)
            continue
        if not published:
            time.sleep(idle_sleep)
    producer.flush(10)
