"""The webhook consumer service: Kafka events → stored messages/deliveries → offsets → attempts.

Run more processes with the same group id to scale out; Kafka splits the partitions between them.
Offsets are committed synchronously only after the batch's rows are stored, so a process killed at
any point loses nothing: uncommitted events are read again (and deduplicated), stored-but-unsent
deliveries are retried when their lease expires.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from datetime import UTC, datetime

from django.db import connection

from webhooks import fanout, kafka
from webhooks.dispatcher import Dispatcher, keep_connection

log = logging.getLogger("webhooks.consumer")

DEFAULT_GROUP = "ekyam-webhooks"


def _decode(msg) -> dict | None:
    try:
        event = kafka.decode_event(msg.value())
    except (ValueError, TypeError) as exc:
        log.warning("skipping undecodable message at %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc)
        return None
    kind, millis = msg.timestamp()
    if millis and millis > 0:
        event["published_at"] = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return event


def _announce(prefix: str):
    def callback(consumer, partitions):
        # Tests and operators watch for this line to know the process is part of the group.
        print(f"{prefix} {sorted(p.partition for p in partitions)}", file=sys.stderr, flush=True)

    return callback


def run(group_id: str = DEFAULT_GROUP, batch_size: int = 500, stop=None) -> None:
    from confluent_kafka import Consumer, KafkaException

    kafka.ensure_topics()
    dispatcher = Dispatcher()
    stopping = {"now": False}
    if stop is None:

        def handle(signum, frame):
            stopping["now"] = True
            dispatcher.stopping.set()  # a submit waiting for room gives its jobs back at once

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        stop = lambda: stopping["now"]  # noqa: E731

    dispatcher.start()
    consumer = Consumer(kafka.consumer_config(group_id))
    consumer.subscribe(
        [kafka.events_topic()],
        on_assign=_announce("webhook consumer assigned partitions"),
        on_revoke=_announce("webhook consumer revoked partitions"),
    )
    log.info("webhook consumer in group %s reading %s", group_id, kafka.events_topic())
    try:
        while not stop():
            messages = consumer.consume(batch_size, timeout=0.5)
            if not messages:
                continue
            events = []
            for msg in messages:
                if msg.error():
                    log.warning("kafka error: %s", msg.error())
                    continue
                event = _decode(msg)
                if event is not None:
                    events.append(event)
            while True:
                try:
                    keep_connection()
                    jobs = fanout.store(events)
                    fanout.confirm_stored(events)
                    break
                except Exception:
                    log.exception("could not store %d events; retrying", len(events))
                    connection.close()
                    if stop():
                        return
                    time.sleep(1.0)
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as exc:
                # E.g. a rebalance took the partitions: the next owner re-reads and deduplicates.
                log.warning("offset commit failed: %s", exc)
            dispatcher.submit(jobs)
    finally:
        consumer.close()
        dispatcher.stop()
