"""The processes of a whole portal, for `manage.py standalone`.

Each Ekyam app may contribute its own long-running processes with a module `<app>/processes.py`
defining `standalone_processes(context) -> list[ProcessSpec]` (sandboxes, consumers, relays), so
this command never needs to know the details of the apps.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from ekyam.app_hooks import hook_modules


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # Port to wait for before starting the processes after it (None: do not wait).
    ready_port: int | None = None


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def core_processes(context: dict) -> list[ProcessSpec]:
    host, port = context["host"], context["port"]
    return [
        ProcessSpec(
            "web",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ekyam.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
                "--no-access-log",
                "--lifespan",
                "off",
            ],
            ready_port=port,
        ),
        ProcessSpec(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ekyam",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(context.get("worker_concurrency", 2)),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                "worker@%h",
            ],
        ),
        ProcessSpec(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ekyam",
                "beat",
                "--loglevel",
                "INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
        ),
    ]


def app_processes(context: dict) -> list[ProcessSpec]:
    return [spec for module in hook_modules("processes") for spec in module.standalone_processes(context)]
