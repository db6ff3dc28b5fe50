"""When to try again: the configured schedule with jitter, Retry-After, and a floor for 429/timeouts."""

from __future__ import annotations

import random

from webhooks import conf


def max_attempts(schedule: list | None = None) -> int:
    return len(schedule or conf.get("WEBHOOK_RETRY_SCHEDULE"))


def next_delay(
    failed_attempts: int,
    *,
    retry_after: float | None = None,
    slow_down: bool = False,
    schedule: list | None = None,
) -> float | None:
    """Seconds until the next attempt after `failed_attempts` failures in this schedule (an
    endpoint's own, else the global one), or None when the schedule is exhausted.

    A receiver's Retry-After is its own answer: it is honoured within
    [WEBHOOK_MIN_RETRY_AFTER_SECONDS, WEBHOOK_MAX_RETRY_AFTER_SECONDS] and the slow-down floor
    (for 429s and timeouts that say nothing) does not override it; a later schedule step still
    applies when it is longer."""
    schedule = schedule or conf.get("WEBHOOK_RETRY_SCHEDULE")
    if failed_attempts >= len(schedule):
        return None
    step = float(schedule[failed_attempts])
    jitter = conf.get("WEBHOOK_RETRY_JITTER")
    delay = step * random.uniform(1 - jitter, 1 + jitter) if jitter else step
    if retry_after is not None:
        low, high = conf.get("WEBHOOK_MIN_RETRY_AFTER_SECONDS"), conf.get("WEBHOOK_MAX_RETRY_AFTER_SECONDS")
        return max(delay, min(max(retry_after, low), high))
    if slow_down:
        delay = max(delay, conf.get("WEBHOOK_SLOWDOWN_FLOOR_SECONDS"))
    return delay


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h" + (f" {rest // 60} min" if rest >= 60 else "")


def describe_schedule(schedule: list | None) -> dict:
    """An endpoint's retry schedule in words: how many attempts, when, and when a message that keeps
    failing reaches the dead-letter queue (before jitter and any Retry-After)."""
    own = bool(schedule)
    steps = [float(s) for s in (schedule or conf.get("WEBHOOK_RETRY_SCHEDULE"))]
    waits = ["at once" if not s else f"after {_duration(s)}" for s in steps]
    total = sum(steps)
    text = (
        f"{len(steps)} attempt{'s' if len(steps) != 1 else ''} ({', '.join(waits)}); a message that keeps failing "
        f"goes to the dead-letter queue about {_duration(total)} after it was first due."
    )
    return {"own": own, "attempts": len(steps), "total_seconds": total, "text": text}
