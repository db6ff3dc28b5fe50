"""How apps extend the portal without the core knowing them: optional modules named by convention.

- `<app>/processes.py`  `standalone_processes(context) -> list[ProcessSpec]`  (manage.py standalone)
- `<app>/seed.py`       `seed_demo(organization) -> list[str]`                (manage.py seed_demo)
- `<app>/schedules.py`  `BEAT_SCHEDULE = {...}`                               (Celery Beat)
- `<app>/event_types.py` `EVENT_TYPES = [EventType, ...]`                    (ekyam.events.catalog)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

# The apps that may have hook modules: the project's, in INSTALLED_APPS order, which is dependency
# order (the core's bus and alerts first; connections are seeded before the workflows that use them).
PROJECT_PACKAGES = ("ekyam", "connectors", "workflows", "webhooks")


def app_modules() -> list[str]:
    from django.conf import settings

    return [app for app in settings.INSTALLED_APPS if app.split(".")[0] in PROJECT_PACKAGES and app != "ekyam"]


def hook_modules(name: str) -> Iterator[ModuleType]:
    """Each app's `<app>.<name>` module, skipping apps that have none (but not hiding import errors)."""
    for app in app_modules():
        try:
            yield importlib.import_module(f"{app}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise
