"""The dead-letter topic: every dead letter is also published to Kafka, for operators' own tooling."""

from __future__ import annotations

import json
import logging

from django.conf import settings

from ekyam.events import kafka
from webhooks.models import DeadLetter

log = logging.getLogger("webhooks.dlq")


def dlq_topic() -> str:
    return kafka.topic_name("webhooks.dlq")


def publish_dead_letter(dead_letter_id: int) -> None:
    if not settings.KAFKA_BOOTSTRAP_SERVERS:
        log.info("no Kafka configured; dead letter %s kept as a row only", dead_letter_id)
        return
    dead = DeadLetter.objects.filter(pk=dead_letter_id).first()
    if dead is None:
        return
    value = json.dumps(
        {
            "dead_letter_id": dead.pk,
            "organization_id": dead.organization_id,
            "endpoint_id": dead.endpoint_id,
            "event_type": dead.event_type,
            "payload": dead.payload,
            "attempts": dead.attempts,
            "reason": dead.reason,
            "created_at": dead.created_at.isoformat(),
        },
        separators=(",", ":"),
        default=str,
    ).encode()
    producer = kafka.shared_producer()
    key = kafka.partition_key(dead.organization_id, f"endpoint:{dead.endpoint_id}")
    producer.produce(dlq_topic(), key=key, value=value)
    # Sent in the background (the row is the record; the topic is a copy for operators' tools):
    # waiting here for each acknowledgement held the recorder of a process dead-lettering hundreds
    # of messages for minutes. `kafka.flush_shared_producer` sends what is left when a process stops.
    producer.poll(0)
