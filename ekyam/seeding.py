"""Apps contribute demo data with `<app>/seed.py` defining `seed_demo(organization) -> list[str]`."""

from __future__ import annotations

import importlib

from ekyam.processes import APP_MODULES


def run_app_seeders(organization) -> list[str]:
    lines: list[str] = []
    for app in APP_MODULES:
        try:
            module = importlib.import_module(f"{app}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.seed":
                raise
            continue
        lines.extend(module.seed_demo(organization))
    return lines
