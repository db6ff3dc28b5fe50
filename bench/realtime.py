"""The real-time path's moving parts, started for the latency benchmark and its end-to-end tests.

    vendor sandbox ──webhook──► web receiver (`/hooks/<vendor>/<token>/`, a WSGI server thread here)
        ──► outbox ──► `manage.py outbox_relay` ──► Kafka ──► `manage.py workflow_trigger_consumer`
        ──► Celery (Redis) ──► worker ──► targeted sync ──► destination sandbox

The relay, the trigger consumer and (optionally) the worker are child processes on the database this
process uses (the test database under pytest), on their own topic prefix and consumer group; the Kafka
broker is the configured one, or an embedded one started for the occasion. A consumer's first group join
takes seconds on the embedded broker, so callers start a rig once and send many events through it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

from django.conf import settings

from bench.common import database_url, poll
from ekyam.embedded import ServerThread, stop_process


class Child:
    """A child process whose stderr is kept (last lines) and watched for a readiness line."""

    def __init__(self, name: str, argv: list[str], env: dict):
        self.name = name
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines = [*self.lines[-200:], line]

    def wait_for_line(self, text: str, timeout: float = 120.0) -> None:
        def said():
            if any(text in line for line in self.lines):
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n" + "".join(self.lines[-30:]))
            return False

        if not poll(said, timeout, interval=0.1):
            raise TimeoutError(f"{self.name} did not say {text!r} in {timeout:.0f}s:\n" + "".join(self.lines[-30:]))

    def stop(self, timeout: float = 20.0) -> None:
        stop_process(self.process, timeout)


class WebReceiver(ServerThread):
    """Django's WSGI app on a loopback port in a thread: where vendor sandboxes deliver webhooks."""

    def __init__(self):
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        httpd.set_app(get_internal_wsgi_application())
        super().__init__(httpd, poll_interval=0.05)

    def hook_url(self, connection) -> str:
        return f"{self.url}/hooks/{connection.connector_type}/{connection.webhook_token}/"


class RealtimeRig:
    """Kafka (configured or embedded) + outbox relay + trigger consumer (+ a Celery worker) as children."""

    def __init__(self, *, worker: bool = False, prefix: str | None = None):
        self.with_worker = worker and bool(settings.REDIS_URL)
        self.prefix = prefix or f"rt{uuid.uuid4().hex[:8]}"
        self.kafka = None
        self.children: list[Child] = []

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url(),
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            EKYAM_KAFKA_TOPIC_PREFIX=self.prefix,
            EKYAM_KAFKA_TOPIC_PARTITIONS="1",
            EKYAM_KAFKA_SESSION_TIMEOUT_MS="6000",
            EKYAM_OUTBOX_RELAY_IDLE_SECONDS="0.01",
            EKYAM_LOG_LEVEL="WARNING",
        )
        env.pop("EKYAM_TEST_DB_NAME", None)
        return env

    def __enter__(self):
        from ekyam import embedded

        self.bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
        if not self.bootstrap:
            self.kafka = embedded.start_kafka()
            self.bootstrap = self.kafka.url
        try:
            env = self.env()
            manage = [sys.executable, "manage.py"]
            consumer = Child(
                "trigger consumer", [*manage, "workflow_trigger_consumer", "--group", f"{self.prefix}-wf"], env
            )
            self.children.append(consumer)
            self.children.append(Child("outbox relay", [*manage, "outbox_relay"], env))
            if self.with_worker:
                hostname = f"rt-{self.prefix}@%h"
                argv = [sys.executable, "-m", "celery", "-A", "ekyam", "worker", "--pool", "solo", "--concurrency",
                        "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING", "--hostname", hostname]  # fmt: skip
                self.children.append(Child("celery worker", argv, env))
            consumer.wait_for_line("assigned partitions")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for child in reversed(self.children):
            child.stop()
        self.children = []
        if self.kafka is not None:
            self.kafka.stop()
            self.kafka = None


def forget_earlier_topics() -> None:
    """Call before starting a rig on a database earlier rigs used (the benchmarks'). No webhook consumer runs
    in a rig, so nothing confirms the events it publishes (`stored_at`), and a relay that creates a topic
    publishes every unconfirmed event again. Each rig has a topic of its own: without this, every rig
    replayed all the events of the rigs before it (thousands, after a drill) into its trigger consumer,
    whose real events then waited behind them, and old workflows ran again against sandboxes long gone.
    What earlier rigs published is theirs; what was never published stays to send."""
    from django.utils import timezone

    from ekyam.events.models import OutboxEvent

    OutboxEvent.objects.filter(published_at__isnull=False, stored_at__isnull=True).update(stored_at=timezone.now())
