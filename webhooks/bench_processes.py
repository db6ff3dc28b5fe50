"""Process plumbing shared by the webhook benchmarks (`bench.py`) and the fault drills
(`drills.py`): the database URL children get, consumer processes, clean-up, percentiles."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _delete_organization(organization) -> None:
    """Remove the benchmark's organization and its rows. A left-over organization would leave due
    deliveries to a receiver that is gone, which the next run's consumers would spend time on."""
    for attempt in range(5):
        try:
            organization.delete()
            return
        except IntegrityError:  # a row written by a process that was still stopping
            if attempt == 4:
                raise
            time.sleep(1.0)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _start_consumer(env: dict, group: str, threads: int) -> tuple[subprocess.Popen, threading.Event]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "webhook_consumer", "--group", group],
        cwd=settings.BASE_DIR,
        env={**env, "EKYAM_WEBHOOK_DELIVERY_THREADS": str(threads)},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assigned = threading.Event()

    def read():
        for line in process.stderr:
            if "assigned partitions" in line and "[]" not in line:
                assigned.set()
            elif "Traceback" in line or "ERROR" in line:
                sys.stderr.write(line)

    threading.Thread(target=read, daemon=True).start()
    return process, assigned
