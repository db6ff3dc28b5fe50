"""Typed readers for environment variables.

Every setting that comes from the environment goes through one of these helpers, so a missing or
malformed value stops the process at start-up with a message that names the variable, instead of
surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, default):
    value = os.environ.get(name)
    if value is None:
        if default is REQUIRED:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return None
    return value


def env_str(name: str, default=REQUIRED) -> str:
    value = _raw(name, default)
    return default if value is None else value


def env_bool(name: str, default: bool | object = REQUIRED) -> bool:
    value = _raw(name, default)
    if value is None:
        return bool(default)
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be a boolean (true/false/1/0), got {value!r}.")


def env_int(name: str, default: int | object = REQUIRED, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    if value is None:
        return int(default)  # type: ignore[arg-type]
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} must be an integer, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name} must be >= {minimum}, got {number}.")
    return number


def env_float(name: str, default: float | object = REQUIRED) -> float:
    value = _raw(name, default)
    if value is None:
        return float(default)  # type: ignore[arg-type]
    try:
        return float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} must be a number, got {value!r}.") from None


def env_list(name: str, default: list[str] | object = REQUIRED, *, sep: str = ",") -> list[str]:
    value = _raw(name, default)
    if value is None:
        return list(default)  # type: ignore[call-overload]
    return [item.strip() for item in value.split(sep) if item.strip()]


def env_url(name: str, default: str | None | object = REQUIRED, *, schemes: tuple[str, ...] = ()) -> str | None:
    value = _raw(name, default)
    if value is None:
        return default  # type: ignore[return-value]
    value = value.strip()
    parsed = urlparse(value)
    if not parsed.scheme or (schemes and parsed.scheme not in schemes):
        allowed = ", ".join(schemes) or "any scheme"
        raise ImproperlyConfigured(f"Environment variable {name} must be a URL ({allowed}), got {value!r}.")
    return value


def overridable(defaults: dict):
    """A `get(name)` for an app's settings: a Django setting of that name wins (tests compress
    schedules that way), otherwise the environment reader in `defaults` gives the value."""
    from django.conf import settings

    def get(name: str):
        if hasattr(settings, name):
            return getattr(settings, name)
        return defaults[name]()

    return get
