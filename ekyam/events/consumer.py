"""The one consumer loop of the bus: Kafka events → a subscriber's handler → offsets committed.

Each subscriber (the webhook consumer, the workflow trigger consumer) runs in its own consumer group,
so each sees every event; run more processes with the same group id to scale one out (Kafka splits the
partitions between them). Offsets are committed synchronously only after the handler stored what the
batch calls for, so a process killed at any point loses nothing: uncommitted events are read again,
and handlers deduplicate on `event_id` (or merge, for runs). A handler that raises (the database is
away) gets the same batch again a second later, until it succeeds or the loop is stopped.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection

from ekyam.db import keep_connection
from ekyam.events import kafka

log = logging.getLogger("ekyam.events.consumer")


def decode(msg) -> dict | None:
    """The event in a Kafka message, with `published_at` from the broker's timestamp; None (logged)
    for a message that is no event."""
    try:
        event = kafka.decode_event(msg.value())
    except (ValueError, TypeError) as exc:
        log.warning("skipping undecodable message at %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc)
        return None
    kind, millis = msg.timestamp()
    if millis and millis > 0:
        event["published_at"] = datetime.fromtimestamp(millis / 1000, tz=UTC)
    # The W3C trace context: the message header (what any Kafka tooling reads) over the envelope's copy.
    traceparent = kafka.traceparent_from_headers(msg.headers())
    if traceparent:
        event["traceparent"] = traceparent
    return event


def _announce(prefix: str):
    def callback(consumer, partitions):
        # Tests and operators watch for this line to know the process is part of the group.
        print(f"{prefix} {sorted(p.partition for p in partitions)}", file=sys.stderr, flush=True)

    return callback


def stop_on_signals() -> Callable[[], bool]:
    """A `stop()` that turns true on SIGTERM or SIGINT (for the long-running commands)."""
    stopping = {"now": False}

    def on_signal(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return lambda: stopping["now"]


def run(
    name: str,
    group_id: str,
    handle: Callable[[list[dict]], object],
    *,
    after_commit: Callable[[object], None] | None = None,
    batch_size: int = 500,
    poll_timeout: float = 0.5,
    extra_topics: tuple[str, ...] = (),
    stop: Callable[[], bool] | None = None,
) -> None:
    """Consume the events topic in `group_id` until `stop()`: each batch of decoded events goes to
    `handle`, then the offsets are committed, then `after_commit` gets what `handle` returned."""
    from confluent_kafka import Consumer, KafkaException

    stop = stop or stop_on_signals()
    kafka.ensure_topics(*extra_topics)
    consumer = Consumer(kafka.consumer_config(group_id))
    consumer.subscribe(
        [kafka.events_topic()],
        on_assign=_announce(f"{name} assigned partitions"),
        on_revoke=_announce(f"{name} revoked partitions"),
    )
    log.info("%s in group %s reading %s", name, group_id, kafka.events_topic())
    try:
        while not stop():
            messages = consumer.consume(batch_size, timeout=poll_timeout)
            if not messages:
                continue
            events = []
            for msg in messages:
                if msg.error():
                    log.warning("kafka error: %s", msg.error())
                    continue
                event = decode(msg)
                if event is not None:
                    events.append(event)
            while True:
                try:
                    keep_connection()
                    result = handle(events)
                    break
                except Exception:
                    log.exception("%s could not handle %d events; retrying", name, len(events))
                    connection.close()
                    if stop():
                        return
                    time.sleep(1.0)
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as exc:
                # E.g. a rebalance took the partitions: the next owner re-reads and deduplicates.
                log.warning("offset commit failed: %s", exc)
            if after_commit is not None:
                after_commit(result)
    finally:
        consumer.close()
