"""Settings of the event bus, read from the environment (documented in .env.example).

Each value may be overridden by a Django setting of the same name (tests do); a subprocess gets the
same values through the environment variables.
"""

from __future__ import annotations

from ekyam.env import env_float, env_int, env_str, env_url, overridable


def _optional_url(name: str) -> str:
    """An http(s) URL, or "" when unset or empty (an empty line copied from .env.example is "off")."""
    return env_url(name, "", schemes=("http", "https")) if env_str(name, "").strip() else ""


get = overridable(
    {
        "OUTBOX_RELAY_BATCH": lambda: env_int("EKYAM_OUTBOX_RELAY_BATCH", 1000, minimum=1),
        "OUTBOX_RELAY_IDLE_SECONDS": lambda: env_float("EKYAM_OUTBOX_RELAY_IDLE_SECONDS", 0.05),
        # Published outbox rows are kept this long (consumers have read them by then), then pruned.
        # (EKYAM_WEBHOOK_OUTBOX_RETENTION_HOURS is its name from before the bus moved into the core.)
        "OUTBOX_RETENTION_HOURS": lambda: env_float(
            "EKYAM_OUTBOX_RETENTION_HOURS", env_float("EKYAM_WEBHOOK_OUTBOX_RETENTION_HOURS", 24.0)
        ),
        "OUTBOX_RETENTION_BATCH": lambda: env_int("EKYAM_OUTBOX_RETENTION_BATCH", 1000, minimum=1),
        "KAFKA_SESSION_TIMEOUT_MS": lambda: env_int("EKYAM_KAFKA_SESSION_TIMEOUT_MS", 10000, minimum=1000),
        # How often a consumer asks for the topics' metadata. A broker that restarts without its data
        # comes back without the events topic; the group rebalances at once and finds nothing to assign,
        # and only the next metadata refresh sees the topic the relay re-creates (librdkafka's default,
        # 5 minutes, left the consumers idle that long).
        "KAFKA_METADATA_REFRESH_MS": lambda: env_int("EKYAM_KAFKA_METADATA_REFRESH_MS", 5000, minimum=1000),
        # Traces across the bus (ekyam/events/tracing.py): off unless an OTLP/HTTP endpoint is set.
        # The standard OpenTelemetry names, so a collector's usual configuration applies as it is.
        "OTEL_EXPORTER_OTLP_ENDPOINT": lambda: _optional_url("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": lambda: _optional_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        "OTEL_SERVICE_NAME": lambda: env_str("OTEL_SERVICE_NAME", "ekyam"),
    }
)
