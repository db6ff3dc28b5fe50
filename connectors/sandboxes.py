"""Where the vendor sandboxes listen under `make run`, and how the demo connects to them."""

from __future__ import annotations

from ekyam.env import env_bool, env_float, env_int, env_str

SANDBOX_BASE_PORT = env_int("EKYAM_SANDBOX_BASE_PORT", 8101, minimum=1)
# The living demo world under `make run`: business activity in every sandbox on this cadence (seconds),
# from this seed. Tests (EKYAM_TESTING) keep the sandboxes still unless a test turns activity on.
SANDBOX_ACTIVITY = env_bool("EKYAM_SANDBOX_ACTIVITY", not env_bool("EKYAM_TESTING", False))
SANDBOX_ACTIVITY_SECONDS = env_float("EKYAM_SANDBOX_ACTIVITY_SECONDS", 30.0)
SANDBOX_SEED = env_int("EKYAM_SANDBOX_SEED", 42)
# Where each sandbox keeps its data across restarts (`<dir>/<vendor>.json`); empty: not kept.
SANDBOX_STATE_DIR = env_str("EKYAM_SANDBOX_STATE_DIR", "")
SANDBOX_ORDER = ["netsuite", "whiplash", "shopify"]


def sandbox_port(slug: str) -> int:
    return SANDBOX_BASE_PORT + SANDBOX_ORDER.index(slug)


def sandbox_url(slug: str) -> str:
    return f"http://127.0.0.1:{sandbox_port(slug)}"


def sandbox_state_file(slug: str) -> str:
    from django.conf import settings

    directory = SANDBOX_STATE_DIR or str(settings.VAR_DIR / "sandbox")
    return f"{directory}/{slug}.json"


def sandbox_activity_seconds() -> float:
    return SANDBOX_ACTIVITY_SECONDS if SANDBOX_ACTIVITY and SANDBOX_ACTIVITY_SECONDS > 0 else 0.0


def sandboxed_connectors():
    from connectors.registry import all_connectors

    return [c for c in all_connectors() if c.slug in SANDBOX_ORDER and c.has_sandbox()]


def offered_sandbox_credentials(connector_class) -> dict[str, str] | None:
    """The credentials of the connector's sandbox as `make run` starts it, offered on the connect form
    on embedded defaults (never in the production profile); None when there is nothing to offer."""
    from django.conf import settings

    if settings.PRODUCTION or connector_class.slug not in SANDBOX_ORDER or not connector_class.has_sandbox():
        return None
    return connector_class.sandbox_credentials(sandbox_url(connector_class.slug))


def is_sandbox_connection(connection) -> bool:
    """Whether the connection talks to the sandbox `make run` starts (on embedded defaults only)."""
    from django.conf import settings

    if settings.PRODUCTION or connection.connector_type not in SANDBOX_ORDER:
        return False
    return sandbox_url(connection.connector_type) in connection.get_credentials().values()
