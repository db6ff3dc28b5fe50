"""Long-running processes `manage.py standalone` starts for this app: the webhook consumer (it needs
Kafka; without a broker it is not started)."""

from __future__ import annotations

from ekyam.processes import ProcessSpec, manage


def standalone_processes(context: dict) -> list[ProcessSpec]:
    if not context.get("env", {}).get("KAFKA_BOOTSTRAP_SERVERS"):
        return []
    return [ProcessSpec("webhook-consumer", manage("webhook_consumer"))]
