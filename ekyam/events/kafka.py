"""Kafka plumbing of the bus: the events topic, client configurations, topic creation, event (de)serialization."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ekyam.events import conf, jsoncodec

log = logging.getLogger("ekyam.events.kafka")


def events_topic() -> str:
    return topic_name("events")


def topic_name(suffix: str) -> str:
    """A topic of this installation (every name starts with KAFKA_TOPIC_PREFIX)."""
    return f"{settings.KAFKA_TOPIC_PREFIX}.{suffix}"


def bootstrap_servers() -> str:
    servers = settings.KAFKA_BOOTSTRAP_SERVERS
    if not servers:
        raise ImproperlyConfigured(
            "KAFKA_BOOTSTRAP_SERVERS is not set: point it at Kafka, or run `manage.py standalone`, "
            "which starts an embedded broker."
        )
    return servers


def producer_config(**extra) -> dict:
    return {
        "bootstrap.servers": bootstrap_servers(),
        # Idempotent + acks=all: a retried send never duplicates or reorders within a partition.
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        # Never let a send create a topic with the broker's default partitions (after a restart
        # of a broker without storage): `ensure_topics` creates them with the configured ones.
        "allow.auto.create.topics": False,
        **extra,
    }


def consumer_config(group_id: str, **extra) -> dict:
    session_ms = conf.get("KAFKA_SESSION_TIMEOUT_MS")
    return {
        "bootstrap.servers": bootstrap_servers(),
        "group.id": group_id,
        # Offsets are committed by hand, only after the rows for the consumed events are stored.
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": max(250, session_ms // 10),
        "topic.metadata.refresh.interval.ms": conf.get("KAFKA_METADATA_REFRESH_MS"),
        **extra,
    }


def ensure_topics(*extra_topics: str, partitions: int | None = None) -> set[str]:
    """Create the events topic (and `extra_topics`) with the configured partitions; existing topics
    are kept. Returns the topics created now."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    partitions = partitions or settings.KAFKA_TOPIC_PARTITIONS
    admin = AdminClient({"bootstrap.servers": bootstrap_servers()})
    wanted = [NewTopic(name, num_partitions=partitions) for name in (events_topic(), *extra_topics)]
    created = set()
    for topic, future in admin.create_topics(wanted, request_timeout=15).items():
        try:
            future.result(timeout=20)
            log.info("created topic %s with %d partitions", topic, partitions)
            created.add(topic)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    return created


def partition_key(organization_id: int, entity_key: str) -> bytes:
    """One organization's events about one entity share a key, so they stay ordered."""
    return f"{organization_id}:{entity_key}".encode()


def _envelope(
    *,
    event_id: uuid.UUID,
    organization_id: int,
    type: str,
    version: int,
    key: str,
    occurred_at: datetime,
    traceparent: str = "",
) -> dict:
    envelope = {
        "event_id": str(event_id),
        "organization_id": organization_id,
        "type": type,
        "version": version,
        "key": key,
        "occurred_at": occurred_at.isoformat(),
    }
    if traceparent:  # a traced event (ekyam/events/tracing.py); also the message's Kafka header
        envelope["traceparent"] = traceparent
    return envelope


TRACE_HEADER = "traceparent"


def trace_headers(traceparent: str) -> list[tuple[str, bytes]] | None:
    """The Kafka headers of a message: the W3C trace context when there is one, else none."""
    return [(TRACE_HEADER, traceparent.encode())] if traceparent else None


def traceparent_from_headers(headers) -> str:
    for name, value in headers or ():
        if name == TRACE_HEADER and value:
            return value.decode("ascii", errors="replace")
    return ""


def encode_event(*, data: dict, **envelope) -> bytes:
    """An event as Kafka carries it (keyword arguments of `_envelope`, and the data)."""
    return jsoncodec.dumps({**_envelope(**envelope), "data": data}, default=str)


def encode_event_with_payload_json(*, payload_json: str, **envelope) -> bytes:
    """`encode_event` with `data` already JSON text (as PostgreSQL returns a jsonb column as text)."""
    return jsoncodec.dumps(_envelope(**envelope))[:-1] + b',"data":' + payload_json.encode() + b"}"


def decode_event(value: bytes) -> dict:
    event = jsoncodec.loads(value)
    for field in ("event_id", "organization_id", "type", "data", "occurred_at"):
        if field not in event:
            raise ValueError(f"event without {field!r}")
    return event


_producer = None


def shared_producer():
    """One producer per process for occasional messages (e.g. dead letters)."""
    global _producer
    if _producer is None:
        from confluent_kafka import Producer

        _producer = Producer(producer_config())
    return _producer


def flush_shared_producer(timeout: float = 5.0) -> None:
    """Send what the shared producer still holds (a stopping process)."""
    if _producer is not None:
        _producer.flush(timeout)
