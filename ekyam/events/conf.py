"""Settings of the event bus, read from the environment (documented in .env.example).

Each value may be overridden by a Django setting of the same name (tests do); a subprocess gets the
same values through the environment variables.
"""

from __future__ import annotations

from ekyam.env import env_float, env_int, overridable

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
    }
)
