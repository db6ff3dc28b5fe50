"""Start the whole portal with one command: embedded servers, web, worker, beat and app processes.

Ctrl-C (or SIGTERM) stops every child, newest first. A child that dies is restarted, as a supervisor
would: after a backoff that doubles with each recent restart (1 s, 2 s, 4 s … at most 30 s), logged with
its exit code and counted. A child that dies more than EKYAM_STANDALONE_MAX_RESTARTS times within
EKYAM_STANDALONE_RESTART_WINDOW seconds is given up on: then everything stops and the command exits
non-zero, so a portal that cannot stay up is never left half running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from ekyam import embedded
from ekyam.env import env_float, env_int
from ekyam.processes import app_processes, core_processes

MAX_RESTARTS = env_int("EKYAM_STANDALONE_MAX_RESTARTS", 5, minimum=0)
RESTART_WINDOW = env_float("EKYAM_STANDALONE_RESTART_WINDOW", 300.0)
BACKOFF_BASE, BACKOFF_MAX = 1.0, 30.0


class Command(BaseCommand):
    help = "Run the whole Ekyam portal (web, Celery worker and beat, brokers, sandboxes) in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("EKYAM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("EKYAM_PORT", "8000")))
        parser.add_argument("--worker-concurrency", type=int, default=2)
        parser.add_argument("--no-kafka", action="store_true", help="Do not start the embedded Kafka broker.")

    def handle(self, *args, **options):
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.specs: dict[str, object] = {}
        self.restarts: dict[str, list[float]] = {}  # name -> monotonic times of its restarts
        self.pending: dict[str, float] = {}  # name -> when to start it again
        self.servers: list[embedded.EmbeddedServer] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self._start(options)
            self._supervise()
        finally:
            self._stop_all()

    def _on_signal(self, signum, frame):
        if not self.stopping:
            self.stdout.write(self.style.WARNING("\nStopping Ekyam…"))
        self.stopping = True

    def _start(self, options):
        env = dict(os.environ)
        # Addresses the portal hands out (webhook subscriptions, e-mailed links) must point at the port it
        # really listens on: without an explicit EKYAM_BASE_URL, the children learn it from --host/--port.
        env.setdefault("EKYAM_BASE_URL", f"http://{options['host']}:{options['port']}")
        var_dir = settings.VAR_DIR
        var_dir.mkdir(parents=True, exist_ok=True)
        log = open(var_dir / "embedded.log", "ab")  # noqa: SIM115 - kept open for the children's lifetime
        if not env.get("REDIS_URL") and not env.get("CELERY_BROKER_URL"):
            server = embedded.start_redis(var_dir / "redis", log_file=log)
            self.servers.append(server)
            env["REDIS_URL"] = server.url
            self.stdout.write(f"Embedded Redis-protocol server at {server.url}")
        if not env.get("KAFKA_BOOTSTRAP_SERVERS") and not options["no_kafka"]:
            server = embedded.start_kafka(log_file=log)
            self.servers.append(server)
            env["KAFKA_BOOTSTRAP_SERVERS"] = server.url
            self.stdout.write(f"Embedded Kafka-protocol broker at {server.url}")
        context = {
            "host": options["host"],
            "port": options["port"],
            "env": env,
            "worker_concurrency": options["worker_concurrency"],
        }
        # The apps' processes (sandboxes, consumers) first: a worker starting up checks connections,
        # and the sandboxes should already answer then.
        for spec in [*app_processes(context), *core_processes(context)]:
            if self.stopping:
                return
            self.specs[spec.name] = spec
            self.env = env
            process = self._spawn(spec)
            self.children.append((spec.name, process))
            self.stdout.write(f"{spec.name} started (pid {process.pid}).")
            if spec.ready_port:
                embedded.wait_for_port("127.0.0.1", spec.ready_port, timeout=60, process=process)
        self.stdout.write(
            self.style.SUCCESS(
                f"Ekyam is running at http://{options['host']}:{options['port']}/  (Ctrl-C stops everything)"
            )
        )
        if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
            # Nothing is sent: invitation and password-reset mails (with their links) appear below.
            self.stdout.write(
                "E-mails are printed here (EKYAM_EMAIL_BACKEND is the console); open their links from here."
            )

    def _spawn(self, spec) -> subprocess.Popen:
        return subprocess.Popen(spec.argv, env={**self.env, **spec.env}, cwd=settings.BASE_DIR, start_new_session=True)

    def _supervise(self):
        while not self.stopping:
            now = time.monotonic()
            for index, (name, process) in enumerate(self.children):
                if name in self.pending:
                    if now >= self.pending[name] and not self.stopping:
                        del self.pending[name]
                        self.children[index] = (name, self._spawn(self.specs[name]))
                        self.stdout.write(f"{name} restarted (pid {self.children[index][1].pid}).")
                    continue
                if process.poll() is None:
                    continue
                recent = [t for t in self.restarts.get(name, []) if now - t < RESTART_WINDOW]
                if len(recent) >= MAX_RESTARTS:
                    self.stderr.write(
                        self.style.ERROR(
                            f"{name} exited with code {process.returncode} after {len(recent)} restarts in the last "
                            f"{RESTART_WINDOW:.0f} s; giving up and stopping."
                        )
                    )
                    self.stopping = True
                    self.exit_code = 1
                    break
                delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** len(recent))
                self.restarts[name] = [*recent, now]
                self.pending[name] = now + delay
                total = sum(len(times) for times in self.restarts.values())
                self.stderr.write(
                    self.style.WARNING(
                        f"{name} exited with code {process.returncode}; restarting it in {delay:.0f} s "
                        f"(restart {len(recent) + 1} of at most {MAX_RESTARTS} in {RESTART_WINDOW:.0f} s; "
                        f"{total} restart(s) so far)."
                    )
                )
            time.sleep(0.5)

    def _stop_all(self):
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for server in reversed(self.servers):
            server.stop()
        if getattr(self, "exit_code", 0):
            sys.exit(self.exit_code)
