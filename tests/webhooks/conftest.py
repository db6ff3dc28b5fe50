"""Fixtures of the events tests: the real Kafka-protocol broker, consumer processes, receivers.

The broker and the shared consumer start once per session (a consumer's group join takes seconds).
Consumer processes use the test database, so tests that involve them commit their data
(`django_db(transaction=True)`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.common import database_url, poll
from ekyam import embedded
from ekyam.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)

# A compressed retry schedule (seconds) shared by the test process and the consumer processes.
TEST_SCHEDULE = [0, 1, 2, 3]


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = TEST_SCHEDULE
    settings.WEBHOOK_RETRY_JITTER = 0.0
    settings.WEBHOOK_SLOWDOWN_FLOOR_SECONDS = 0.5
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(params=["bulk", "orm"])
def path(request, monkeypatch):
    """Runs a test on both implementations of the hot-path writes: the set-based PostgreSQL
    statements (`webhooks.bulk`) and the ORM path other databases use."""
    from webhooks import bulk

    if request.param == "bulk" and connection.vendor != "postgresql":
        pytest.skip("the set-based statements are PostgreSQL's")
    if request.param == "orm":
        monkeypatch.setattr(bulk, "enabled", lambda: False)
    return request.param


@pytest.fixture(scope="session")
def kafka_broker():
    server = embedded.start_kafka()
    previous = settings.KAFKA_BOOTSTRAP_SERVERS
    settings.KAFKA_BOOTSTRAP_SERVERS = server.url
    yield server.url
    settings.KAFKA_BOOTSTRAP_SERVERS = previous
    server.stop()


def child_env(broker: str, prefix: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        KAFKA_BOOTSTRAP_SERVERS=broker,
        EKYAM_KAFKA_TOPIC_PREFIX=prefix,
        EKYAM_KAFKA_TOPIC_PARTITIONS=str(settings.KAFKA_TOPIC_PARTITIONS),
        EKYAM_WEBHOOK_RETRY_SCHEDULE=",".join(str(s) for s in TEST_SCHEDULE),
        EKYAM_WEBHOOK_RETRY_JITTER="0",
        EKYAM_WEBHOOK_SLOWDOWN_FLOOR_SECONDS="0.5",
        EKYAM_WEBHOOK_SCHEDULER_INTERVAL_SECONDS="0.2",
        EKYAM_WEBHOOK_CLAIM_LEASE_SECONDS="3",
        EKYAM_WEBHOOK_DELIVERY_CONCURRENCY="8",
        EKYAM_KAFKA_SESSION_TIMEOUT_MS="6000",
        EKYAM_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        EKYAM_LOG_LEVEL="WARNING",
    )
    env.pop("EKYAM_TEST_DB_NAME", None)
    env.update(extra)
    return env


class ConsumerProcess:
    """`manage.py webhook_consumer` as a child process; knows when it has partitions."""

    def __init__(self, env: dict, group: str):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "webhook_consumer", "--group", group, "--batch-size", "50"],
            cwd=BASE_DIR,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.assignments: list[list[int]] = []
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line)
            if "assigned partitions" in line:
                self.assignments.append(json.loads(line[line.index("[") :]))

    @property
    def partitions(self) -> list[int]:
        return self.assignments[-1] if self.assignments else []

    def wait_assigned(self, timeout: float = 90, minimum: int = 1):
        def assigned():
            if len(self.partitions) >= minimum:
                return True
            if self.process.poll() is not None:
                raise RuntimeError("consumer exited:\n" + "".join(self.lines[-30:]))
            return False

        if not poll(assigned, timeout, interval=0.1):
            raise TimeoutError("consumer got no partitions:\n" + "".join(self.lines[-30:]))
        return self.partitions

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def shared_consumer(kafka_broker, django_db_setup, django_db_blocker):
    """One consumer for the module's tests, on its own topic prefix. Not for the session: its
    delivery scheduler claims every due delivery in the test database, so left running it would
    race the tests that claim deliveries by hand (and take their claims)."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = child_env(kafka_broker, prefix)
    process = ConsumerProcess(env, group=f"{prefix}-webhooks")
    process.wait_assigned()
    yield prefix
    process.stop()


@pytest.fixture
def on_shared_topics(shared_consumer, settings):
    """Make this test's relay publish where the shared consumer reads."""
    settings.KAFKA_TOPIC_PREFIX = shared_consumer
    return shared_consumer


@pytest.fixture(scope="session")
def producer(kafka_broker):
    from ekyam.events.relay import make_producer

    p = make_producer()
    yield p
    p.flush(10)
