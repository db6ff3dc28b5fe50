"""Settings of event delivery, read from the environment (documented in .env.example).

Each value may be overridden by a Django setting of the same name (tests compress the retry
schedule that way); a subprocess gets the same values through the environment variables.
"""

from __future__ import annotations

from django.conf import settings

from ekyam.env import env_bool, env_float, env_int, env_list, overridable

# Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.5 h, 8 attempts).
DEFAULT_RETRY_SCHEDULE = ["0", "5", "300", "1800", "7200", "18000", "36000", "36000"]

_DEFAULTS = {
    # Seconds before attempt 1, 2, ...: the length is the number of attempts.
    "WEBHOOK_RETRY_SCHEDULE": lambda: [
        float(s) for s in env_list("EKYAM_WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE)
    ],
    "WEBHOOK_RETRY_JITTER": lambda: env_float("EKYAM_WEBHOOK_RETRY_JITTER", 0.2),
    # 429s and timeouts mean "slow down": never retry them sooner than this.
    "WEBHOOK_SLOWDOWN_FLOOR_SECONDS": lambda: env_float("EKYAM_WEBHOOK_SLOWDOWN_FLOOR_SECONDS", 60.0),
    "WEBHOOK_MIN_RETRY_AFTER_SECONDS": lambda: env_float("EKYAM_WEBHOOK_MIN_RETRY_AFTER_SECONDS", 1.0),
    "WEBHOOK_MAX_RETRY_AFTER_SECONDS": lambda: env_float("EKYAM_WEBHOOK_MAX_RETRY_AFTER_SECONDS", 86400.0),
    "WEBHOOK_TIMEOUT_SECONDS": lambda: env_float("EKYAM_WEBHOOK_TIMEOUT_SECONDS", 15.0),
    "WEBHOOK_RESPONSE_BODY_LIMIT": lambda: env_int("EKYAM_WEBHOOK_RESPONSE_BODY_LIMIT", 4096, minimum=0),
    # A claimed delivery not finished within the lease (its worker died) is picked up again.
    "WEBHOOK_CLAIM_LEASE_SECONDS": lambda: env_float("EKYAM_WEBHOOK_CLAIM_LEASE_SECONDS", 60.0),
    "WEBHOOK_SCHEDULER_INTERVAL_SECONDS": lambda: env_float("EKYAM_WEBHOOK_SCHEDULER_INTERVAL_SECONDS", 1.0),
    "WEBHOOK_DELIVERY_THREADS": lambda: env_int("EKYAM_WEBHOOK_DELIVERY_THREADS", 64, minimum=1),
    # Attempts in flight to one endpoint per process (0: three quarters of the threads) and the
    # jobs one endpoint may queue in a process's memory (0: half its in-flight bound).
    "WEBHOOK_ENDPOINT_CONCURRENCY": lambda: env_int("EKYAM_WEBHOOK_ENDPOINT_CONCURRENCY", 0, minimum=0),
    "WEBHOOK_ENDPOINT_QUEUE_LIMIT": lambda: env_int("EKYAM_WEBHOOK_ENDPOINT_QUEUE_LIMIT", 0, minimum=0),
    "WEBHOOK_DISABLE_AFTER_DAYS": lambda: env_float("EKYAM_WEBHOOK_DISABLE_AFTER_DAYS", 5.0),
    "WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES": lambda: env_int(
        "EKYAM_WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES", 50, minimum=1
    ),
    "WEBHOOK_SECRET_OVERLAP_HOURS": lambda: env_float("EKYAM_WEBHOOK_SECRET_OVERLAP_HOURS", 24.0),
    "WEBHOOK_REQUIRE_HTTPS": lambda: env_bool("EKYAM_WEBHOOK_REQUIRE_HTTPS", bool(settings.PRODUCTION)),
    "WEBHOOK_RETENTION_DAYS": lambda: env_int("EKYAM_WEBHOOK_RETENTION_DAYS", 30, minimum=1),
    "WEBHOOK_RETENTION_BATCH": lambda: env_int("EKYAM_WEBHOOK_RETENTION_BATCH", 1000, minimum=1),
}

get = overridable(_DEFAULTS)
