"""The trigger consumer: Ekyam events on Kafka → targeted workflow runs (`workflows.actions.trigger_from_event`).

Runs in its own consumer group, so it sees every event independently of the webhook consumer. Offsets
are committed after the runs are stored; a redelivered event merges into the still-queued targeted run
(or re-syncs the same records, which the lineage ledger and idempotent writers make harmless).
"""

from __future__ import annotations

import logging

from django.db import close_old_connections

from workflows.actions import trigger_from_event

log = logging.getLogger(__name__)

GROUP_ID = "ekyam-workflow-triggers"


def handle(value: bytes) -> int:
    from webhooks.kafka import decode_event

    try:
        event = decode_event(value)
    except ValueError:
        log.warning("Skipping an undecodable event on the bus")
        return 0
    return len(trigger_from_event(event))


def run(stop=lambda: False, poll_timeout: float = 1.0) -> None:
    from confluent_kafka import Consumer

    from webhooks.kafka import consumer_config, ensure_topics, events_topic

    ensure_topics()
    consumer = Consumer(consumer_config(GROUP_ID))
    consumer.subscribe([events_topic()])
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
            consumer.commit(message=message, asynchronous=False)
    finally:
        consumer.close()
