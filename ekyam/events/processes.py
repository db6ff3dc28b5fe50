"""The long-running process of the bus for `manage.py standalone`: the outbox relay (it needs Kafka;
without a broker it is not started)."""

from __future__ import annotations

from ekyam.processes import ProcessSpec, manage


def standalone_processes(context: dict) -> list[ProcessSpec]:
    if not context.get("env", {}).get("KAFKA_BOOTSTRAP_SERVERS"):
        return []
    return [ProcessSpec("outbox-relay", manage("outbox_relay"))]
