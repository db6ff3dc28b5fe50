"""How apps extend the portal without the core knowing them: optional modules named by convention.

- `<app>/processes.py`  `standalone_processes(context) -> list[ProcessSpec]`  (manage.py standalone)
- `<app>/seed.py`       `seed_demo(organization) -> list[str]`                (manage.py seed_demo)
- `<app>/schedules.py`  `BEAT_SCHEDULE = {...}`                               (Celery Beat)
- `<app>/bench.py`      `BENCHMARKS = {name: (function, description)}`        (manage.py bench)
- `<app>/event_types.py` `EVENT_TYPES = [EventType, ...]`                    (ekyam.events.catalog)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

# In dependency order: the core's bus and alerts first; seeding connections must come before the
# workflows that use them.
APP_MODULES = [
    "ekyam.events",
    "ekyam.alerts",
    "connectors",
    "connectors.mapping",
    "workflows",
    "workflows.reconcile",
    "webhooks",
]


def hook_modules(name: str) -> Iterator[ModuleType]:
    """Each app's `<app>.<name>` module, skipping apps that have none (but not hiding import errors)."""
    for app in APP_MODULES:
        try:
            yield importlib.import_module(f"{app}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise
