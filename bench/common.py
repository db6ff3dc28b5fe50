"""Helpers of the benchmarks and their rigs (the tests use them too)."""

from __future__ import annotations

import os
import time


def database_url() -> str:
    """The database this process really uses (a test database under pytest), for child processes."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"] or "")
        if not name or "memory" in name:
            raise RuntimeError("Child processes need a file or PostgreSQL database (set EKYAM_TEST_DB_NAME).")
        return f"sqlite:///{os.path.abspath(name)}"
    auth = (db["USER"] or "") + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def poll(predicate, timeout: float = 60.0, interval: float = 0.01):
    """Call `predicate` until it returns a true value (returned) or `timeout` seconds passed (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(interval)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05, what: str = "condition"):
    """`poll`, but a timeout is an error: TimeoutError naming `what`."""
    value = poll(predicate, timeout, interval)
    if not value:
        raise TimeoutError(f"timed out waiting for {what}")
    return value


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 for p95); NaN without values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]
