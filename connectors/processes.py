"""`manage.py standalone` starts one sandbox per vendor connector that ships one."""

from connectors.sandboxes import sandbox_port, sandboxed_connectors
from ekyam.processes import ProcessSpec, manage


def standalone_processes(context: dict) -> list[ProcessSpec]:
    return [
        ProcessSpec(
            f"sandbox-{c.slug}",
            manage("sandbox", c.slug, "--port", str(sandbox_port(c.slug))),
            ready_port=sandbox_port(c.slug),
        )
        for c in sandboxed_connectors()
    ]
