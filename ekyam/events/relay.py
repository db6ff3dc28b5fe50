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
from ekyam.events import conf, kafka, tracing
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
RETURNING id, event_id, organization_id, type, version, key, payload::text, occurred_at, trace_context
"""


def mark_outbox_batch(limit: int, *, now) -> list[tuple]:
    """Mark up to `limit` unpublished outbox rows published and return them in id order, as
    (id, event_id, organization_id, type, version, key, payload JSON text, occurred_at,
    trace_context). One statement instead of a locking SELECT and an UPDATE, and the payload as
    JSON text (the relay sends it as it is, without decoding and encoding it). Call inside the
    transaction that publishes them: rolled back, the rows are unpublished again."""
    with binding_cursor() as cursor:
        cursor.execute(_CLAIM_OUTBOX_SQL, {"now": now, "limit": limit})
        return sorted(cursor.fetchall())  # RETURNING has no order; the relay keeps id order


def _unpublished(batch_size: int):
    queryset = OutboxEvent.objects.filter(published_at__isnull=True).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset[:batch_size])


class _Batch:
    """What one relay round sends: (Kafka key, value, headers) per row in id order, the ids still to
    mark published after the broker acknowledged them (on PostgreSQL they are marked already, in
    this transaction, by the statement that picked them), and the publish spans of traced rows."""

    __slots__ = ("messages", "to_mark", "spans")

    def __init__(self):
        self.messages: list[tuple[bytes, bytes, list | None]] = []
        self.to_mark: list[int] = []
        self.spans: list = []

    def traceparent(self, trace_context: str, event_id, type_: str, topic: str) -> str:
        """The context this row's message carries: its publish span's (tracing on here), else the
        row's own, passed on unchanged ("" for an untraced row)."""
        if not trace_context:
            return ""
        span = tracing.start(
            f"publish {topic}",
            trace_context,
            "PRODUCER",
            {
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.message.id": str(event_id),
                "ekyam.event.type": type_,
            },
        )
        if span is None:
            return trace_context
        self.spans.append(span)
        return tracing.traceparent_of(span)

    def finish_spans(self, error: str = "") -> None:
        for span in self.spans:
            tracing.finish(span, error=error)


def _rows_as_messages(batch_size: int) -> _Batch:
    """Up to `batch_size` unpublished rows as a `_Batch`."""
    batch, topic = _Batch(), kafka.events_topic()
    if set_based_writes():
        # Marked published already; the payload comes as JSON text and is sent as it is.
        rows = mark_outbox_batch(batch_size, now=timezone.now())
        encode = _encode_payload_json
    else:
        unpublished = _unpublished(batch_size)
        rows = [
            (r.pk, r.event_id, r.organization_id, r.type, r.version, r.key, r.payload, r.occurred_at, r.trace_context)
            for r in unpublished
        ]
        batch.to_mark = [r.pk for r in unpublished]
        encode = _encode_payload
    for _pk, event_id, organization_id, type_, version, key, payload, occurred_at, trace_context in rows:
        traceparent = batch.traceparent(trace_context, event_id, type_, topic)
        batch.messages.append(
            (
                kafka.partition_key(organization_id, key),
                encode(
                    payload,
                    event_id=event_id,
                    organization_id=organization_id,
                    type=type_,
                    version=version,
                    key=key,
                    occurred_at=occurred_at,
                    traceparent=traceparent,
                ),
                kafka.trace_headers(traceparent),
            )
        )
    return batch


def _encode_payload(payload: dict, **envelope) -> bytes:
    return kafka.encode_event(data=payload, **envelope)


def _encode_payload_json(payload_json: str, **envelope) -> bytes:
    return kafka.encode_event_with_payload_json(payload_json=payload_json, **envelope)


def _publish(
    producer, topic: str, messages: list[tuple[bytes, bytes, list | None]], flush_timeout: float, stop=None, acked=None
) -> None:
    """Send and wait for every acknowledgement; raise PublishFailed if any is missing. `acked`
    (partition → an acknowledged offset the broker's end must stay above, see `broker_lost_data`)
    is kept up to date; `stop` ends the wait early (the batch then counts as not acknowledged)."""
    failures: list[str] = []
    first_acked: dict[int, int] = {}

    def on_delivery(err, msg):
        if err is not None:
            failures.append(str(err))
        elif acked is not None and msg is not None:
            partition, offset = msg.partition(), msg.offset()
            if offset is not None and offset >= 0 and offset < first_acked.get(partition, offset + 1):
                first_acked[partition] = offset

    try:
        _send_and_flush(producer, topic, messages, flush_timeout, stop, on_delivery, failures)
    finally:
        # Per partition, the first offset this round was acknowledged at, not the last: the round
        # starts a new record batch there (the previous round was flushed), and the embedded broker
        # (Tansu 0.6.0) answers its end of a partition as the last batch's first offset + 1, so the
        # last offset of a batch of several is at or above the end it reports although nothing was
        # lost. Any broker's end is above a batch's first offset while it keeps the batch.
        if acked is not None:
            for partition, offset in first_acked.items():
                if offset > acked.get(partition, -1):
                    acked[partition] = offset


def _send_and_flush(producer, topic: str, messages, flush_timeout: float, stop, on_delivery, failures) -> None:
    for key, value, headers in messages:
        while True:
            try:
                if headers:
                    producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
                else:
                    producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let librdkafka drain it
                producer.poll(0.1)
        producer.poll(0)
    # Flush in short steps, so a stop request is answered within half a second.
    deadline = time.monotonic() + flush_timeout
    remaining = producer.flush(min(0.5, flush_timeout))
    while remaining and not failures and time.monotonic() < deadline and not (stop and stop()):
        remaining = producer.flush(0.5)
    if remaining or failures:
        raise PublishFailed(f"{remaining} unacknowledged, {len(failures)} failed: {failures[:1]}")


def relay_once(producer, batch_size: int | None = None, flush_timeout: float = 30.0, stop=None, acked=None) -> int:
    """Publish one batch; return how many rows were published and marked."""
    batch_size = batch_size or conf.get("OUTBOX_RELAY_BATCH")
    with transaction.atomic():
        batch = _rows_as_messages(batch_size)
        if not batch.messages:
            return 0
        # Raising rolls the transaction back: nothing is marked, the whole batch is published again
        # next time (consumers dedupe).
        try:
            _publish(producer, kafka.events_topic(), batch.messages, flush_timeout, stop=stop, acked=acked)
        except Exception as exc:
            batch.finish_spans(error=f"{type(exc).__name__}: {exc}")
            raise
        batch.finish_spans()
        if batch.to_mark:
            OutboxEvent.objects.filter(pk__in=batch.to_mark).update(published_at=timezone.now())
    return len(batch.messages)


def make_producer():
    from confluent_kafka import Producer

    # A message not acknowledged within the flush timeout fails instead of waiting minutes in
    # librdkafka's queue: the batch is rolled back and published again by a fresh producer.
    return Producer(kafka.producer_config(**{"message.timeout.ms": 20000}))


def republish_unconfirmed() -> int:
    """Publish again every event the webhook consumer has not confirmed storing (`stored_at`):
    after the broker lost what it had acknowledged. Consumers deduplicate on event_id."""
    return OutboxEvent.objects.filter(published_at__isnull=False, stored_at__isnull=True).update(published_at=None)


def broker_lost_data(watcher, topic: str, acked: dict[int, int]) -> bool:
    """True when the broker's end of a partition is not above the offset `acked` keeps for it (the
    first offset of the latest batch it acknowledged there: it restarted without its data, the
    embedded broker keeps topics in memory), or the topic or a partition is gone.
    `watcher` is a Consumer used only to read watermarks."""
    from confluent_kafka import KafkaException, TopicPartition

    try:
        metadata = watcher.list_topics(topic, timeout=5)
        partitions = metadata.topics.get(topic)
        if partitions is None or partitions.error is not None:
            return True
        for partition, offset in acked.items():
            if partition not in partitions.partitions:
                return True
            _low, high = watcher.get_watermark_offsets(TopicPartition(topic, partition), timeout=5, cached=False)
            if high <= offset:
                return True
    except KafkaException as exc:
        log.info("could not read the broker's watermarks (%s); checking again later", exc)
    return False


def _wait(seconds: float, stop) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(min(0.1, seconds))


def run(stop=lambda: False, idle_sleep: float | None = None, check_every: float = 5.0) -> None:
    """Publish until `stop()`. Recovers on its own after the broker restarts: a failed batch gets
    a fresh producer (an idempotent producer's state does not survive the broker's), the topics are
    created again with the configured partitions, and when the broker lost acknowledged events,
    everything the webhook consumer has not confirmed is published again."""
    from confluent_kafka import Consumer, KafkaException

    idle_sleep = idle_sleep if idle_sleep is not None else conf.get("OUTBOX_RELAY_IDLE_SECONDS")
    topic = kafka.events_topic()
    while not stop():
        try:
            if topic in kafka.ensure_topics():
                # A new topic (first start, or the broker came back empty while the relay was
                # down): what was published before and never stored must be published again.
                count = republish_unconfirmed()
                if count:
                    log.warning("events topic created; %d unconfirmed outbox events to publish again", count)
            break
        except (KafkaException, TimeoutError) as exc:  # the broker is not up yet
            log.warning("cannot create the topics yet: %s", exc)
            _wait(1.0, stop)
    producer = make_producer()
    watcher = Consumer(kafka.consumer_config("ekyam-outbox-relay-watch", **{"enable.partition.eof": False}))
    acked: dict[int, int] = {}
    checked = time.monotonic()
    log.info("outbox relay publishing to %s", topic)
    try:
        while not stop():
            try:
                published = relay_once(producer, stop=stop, acked=acked)
            except PublishFailed as exc:
                log.warning("outbox batch not acknowledged, retrying with a new producer: %s", exc)
                producer.flush(0)
                producer = make_producer()
                checked = 0.0  # look at the broker now
                _wait(1.0, stop)
                published = 0
            except Exception:
                log.exception("outbox relay error; retrying in 1 s")
                connection.close()
                _wait(1.0, stop)
                continue
            if time.monotonic() - checked >= check_every:
                checked = time.monotonic()
                if acked and broker_lost_data(watcher, topic, acked):
                    log.warning("the broker lost acknowledged events; publishing unconfirmed ones again")
                    try:
                        kafka.ensure_topics()
                    except (KafkaException, TimeoutError) as exc:
                        log.warning("cannot create the topics yet: %s", exc)
                        continue
                    acked.clear()
                    log.warning("%d outbox events to publish again", republish_unconfirmed())
            if not published:
                _wait(idle_sleep, stop)
    finally:
        producer.flush(min(5.0, 0.5 if stop() else 5.0))
        watcher.close()
