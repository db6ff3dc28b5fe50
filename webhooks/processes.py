"""Long-running processes `manage.py standalone` starts for this app: the outbox relay and the
webhook consumer (both need Kafka; without a broker they are not started)."""

from __future__ import annotations

from ekyam.processes import ProcessSpec, manage


def standalone_processes(context: dict) -> list[ProcessSpec]:
    if not context.get("env", {}).get("KAFKA_BOOTSTRAP_SERVERS"):
        return []
    return [
        ProcessSpec("outbox-relay", manage("outbox_relay")),
        ProcessSpec("webhook-consumer", manage("webhook_consumer")),
    ]
