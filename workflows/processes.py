"""Long-running processes of the workflows app for `manage.py standalone`: the Kafka trigger consumer."""

from __future__ import annotations

from ekyam.processes import ProcessSpec, manage


def standalone_processes(context: dict) -> list[ProcessSpec]:
    if not context.get("env", {}).get("KAFKA_BOOTSTRAP_SERVERS"):
        return []
    return [ProcessSpec("workflow-triggers", manage("workflow_trigger_consumer"))]
