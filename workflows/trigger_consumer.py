"""The trigger consumer: Ekyam events on Kafka → targeted workflow runs (`workflows.actions.trigger_from_event`).

Runs in its own consumer group, so it sees every event independently of the webhook consumer. Offsets
are committed after the runs are stored; a redelivered event merges into the still-queued targeted run
(or re-syncs the same records, which the lineage ledger and idempotent writers make harmless). An event
born from a vendor webhook marks its InboundWebhook row processed in the same transaction as the runs.
"""

from __future__ import annotations

import logging
import signal
import sys
import time

from django.db import OperationalError, close_old_connections, transaction

from workflows import inbound
from workflows.actions import trigger_from_event

log = logging.getLogger(__name__)

GROUP_ID = "ekyam-workflow-triggers"
# Tries of one event's transaction when it loses a database race (at most this many, then the event is marked).
RACE_ATTEMPTS = 3


def handle(value: bytes) -> int:
    """One event: start the targeted runs it calls for. A bad event is logged and marked, never fatal."""
    from webhooks.kafka import decode_event

    try:
        event = decode_event(value)
    except ValueError:
        log.warning("Skipping an undecodable event on the bus")
        return 0
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                runs = trigger_from_event(event)
                inbound.mark_handled(event)
            return len(runs)
        except OperationalError as exc:
            # A lost race (deadlock, serialization failure, lock timeout) rolled the whole transaction back:
            # nothing was stored, so the same event is simply tried again and merges into the queued run.
            if attempt < RACE_ATTEMPTS:
                log.warning("Event %s lost a database race (%s); trying it again", event.get("event_id"), exc)
                time.sleep(0.05 * attempt)
                continue
            failure = exc
        except Exception as exc:  # noqa: BLE001 - a bad event is marked on its row, never fatal to the consumer
            failure = exc
        break
    log.error("Event %s (%s) could not start its runs: %s", event.get("event_id"), event.get("type"), failure)
    inbound.mark_handled(event, error=f"The trigger consumer failed: {type(failure).__name__}: {failure}")
    return 0


def _announce(prefix: str):
    def callback(consumer, partitions):
        # Tests and operators watch for this line to know the process has joined its group.
        print(f"{prefix} {sorted(p.partition for p in partitions)}", file=sys.stderr, flush=True)

    return callback


def run(stop=None, poll_timeout: float = 0.2, group_id: str = GROUP_ID) -> None:
    from confluent_kafka import Consumer, KafkaException

    from webhooks.kafka import consumer_config, ensure_topics, events_topic

    if stop is None:
        stopping = {"now": False}

        def on_signal(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        stop = lambda: stopping["now"]  # noqa: E731

    ensure_topics()
    consumer = Consumer(consumer_config(group_id))
    consumer.subscribe(
        [events_topic()],
        on_assign=_announce("workflow trigger consumer assigned partitions"),
        on_revoke=_announce("workflow trigger consumer revoked partitions"),
    )
    try:
        while not stop():
            message = consumer.poll(poll_timeout)
            if message is None:
                continue
            if message.error():
                log.warning("Kafka error: %s", message.error())
                continue
            close_old_connections()
            started = handle(message.value())
            if started:
                log.info("event at offset %s started %d targeted run(s)", message.offset(), started)
            try:
                consumer.commit(message=message, asynchronous=False)
            except KafkaException as exc:
                # A rebalance took the partition: its next owner re-reads the event (runs merge or skip).
                log.warning("offset commit failed: %s", exc)
    finally:
        consumer.close()
