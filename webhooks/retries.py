"""When to try again: the configured schedule with jitter, Retry-After, and a floor for 429/timeouts."""

from __future__ import annotations

import random

from webhooks import conf


def max_attempts() -> int:
    return len(conf.get("WEBHOOK_RETRY_SCHEDULE"))


def next_delay(failed_attempts: int, *, retry_after: float | None = None, slow_down: bool = False) -> float | None:
    """Seconds until the next attempt after `failed_attempts` failures in this schedule, or None
    when the schedule is exhausted."""
    schedule = conf.get("WEBHOOK_RETRY_SCHEDULE")
    if failed_attempts >= len(schedule):
        return None
    step = float(schedule[failed_attempts])
    jitter = conf.get("WEBHOOK_RETRY_JITTER")
    delay = step * random.uniform(1 - jitter, 1 + jitter) if jitter else step
    if retry_after is not None:
        # The receiver knows best when it can take more, within a sane ceiling.
        delay = max(delay, min(retry_after, conf.get("WEBHOOK_MAX_RETRY_AFTER_SECONDS")))
    if slow_down:
        delay = max(delay, conf.get("WEBHOOK_SLOWDOWN_FLOOR_SECONDS"))
    return delay
