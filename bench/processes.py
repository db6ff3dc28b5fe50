"""Process plumbing shared by the webhook benchmark (`bench.webhooks`) and the fault drills
(`bench.webhook_drills`): consumer processes and clean-up."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import IntegrityError


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


def _start_consumer(env: dict, group: str, threads: int) -> tuple[subprocess.Popen, threading.Event]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "webhook_consumer", "--group", group],
        cwd=settings.BASE_DIR,
        env={**env, "EKYAM_WEBHOOK_DELIVERY_CONCURRENCY": str(threads)},
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


def start_relay(env: dict) -> subprocess.Popen:
    """`manage.py outbox_relay` as a child process in its own session (quiet)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "outbox_relay"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
