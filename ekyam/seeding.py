"""Apps contribute demo data with `<app>/seed.py` defining `seed_demo(organization) -> list[str]`."""

from __future__ import annotations

from ekyam.app_hooks import hook_modules


def run_app_seeders(organization) -> list[str]:
    return [line for module in hook_modules("seed") for line in module.seed_demo(organization)]
