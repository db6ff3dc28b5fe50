"""`manage.py bench webhook_drills`: fault drills against the real processes.

Each drill runs the real `manage.py webhook_consumer` (two in one group) and `outbox_relay`
processes against the configured database and broker (an embedded one when
KAFKA_BOOTSTRAP_SERVERS is unset), delivering to an independent receiver
(`bench/drill_receiver.py`) that verifies every request with the `standardwebhooks` package. Per
drill it prints: sent, delivered (distinct messages answered 2xx), extra copies (2xx answers beyond
the first per message), lost (sent but never delivered) and verified (signatures that verified, of
all requests), plus the drill's own figure.

Drills: fail-first (each message fails its first 3 attempts), slow-beside-healthy (one endpoint
answers after the timeout; the healthy one's latency, then disabling the slow one and stopping the
consumers), consumer-kill (SIGKILL mid-stream), broker-restart (the broker and then both consumers
restarted mid-stream; embedded broker only), disable-recover (auto-disable, events while disabled,
recover since T) and retry-after (429 with Retry-After: 2 against a 60 s slow-down floor).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bench.common import database_url, percentile, poll
from bench.processes import _delete_organization, _start_consumer, start_relay
from ekyam import embedded

DRILLS = ["fail-first", "slow-beside-healthy", "consumer-kill", "broker-restart", "disable-recover", "retry-after"]


class Rig:
    """The broker, the receiver and the processes of the drills."""

    def __init__(self, threads: int):
        self.threads = threads
        self.broker = None
        self.bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
        if not self.bootstrap:
            self.broker_port = embedded.free_port()
            self.broker = embedded.start_kafka(port=self.broker_port)
            self.bootstrap = self.broker.url
        port = embedded.free_port()
        self.receiver = subprocess.Popen(
            [sys.executable, "-m", "bench.drill_receiver", str(port)], cwd=settings.BASE_DIR, start_new_session=True
        )
        embedded.wait_for_port("127.0.0.1", port, process=self.receiver)
        self.base = f"http://127.0.0.1:{port}"
        self.children: list[subprocess.Popen] = []
        self.organizations = []
        self.warm_up = None

    # --- receiver --------------------------------------------------------------------------

    def _client(self):
        from ekyam.http import HttpClient

        return HttpClient(max_retries=0)

    def configure(self, name: str, **cfg) -> None:
        client = self._client()
        try:
            client.post(f"{self.base}/configure/{name}", json=cfg).raise_for_status()
        finally:
            client.close()

    def stats(self, name: str, attempts: bool = False) -> dict:
        client = self._client()
        try:
            return client.get(f"{self.base}/stats/{name}" + ("?attempts=1" if attempts else "")).json()
        finally:
            client.close()

    def delivered(self, name: str) -> int:
        return len(self.stats(name)["ok"])

    # --- Ekyam side ------------------------------------------------------------------------

    def organization(self, label: str):
        from ekyam import actions as org_actions

        organization = org_actions.create_organization(f"Webhook drill {label} {uuid.uuid4().hex[:6]}")
        self.organizations.append(organization)
        return organization

    def endpoint(self, organization, name: str, **receiver_cfg):
        from webhooks import actions

        name = f"{name}-{uuid.uuid4().hex[:6]}"
        # The drills' events only (not the portal's own news of dead letters and disabled endpoints).
        endpoint, secret = actions.create_endpoint(
            organization, url=f"{self.base}/hook/{name}", description=name, event_types=["shipment.synced"]
        )
        self.configure(name, secret=secret, **receiver_cfg)
        return endpoint, name

    def emit(self, organization, count: int, start: int = 0, per_second: float | None = None) -> None:
        """`count` events, in transactions of up to 500 (or as a stream of `per_second`)."""
        from ekyam.events.outbox import emit

        chunk = max(1, int(per_second / 10)) if per_second else 500
        for offset in range(0, count, chunk):
            with transaction.atomic():
                for i in range(start + offset, start + min(count, offset + chunk)):
                    emit(organization, "shipment.synced", {"key": f"s:{i}", "record": {"i": i}}, key=f"shipment:{i}")
            if per_second:
                time.sleep(chunk / per_second)

    def env(self, prefix: str, **extra) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "EKYAM_KAFKA_TOPIC_PREFIX": prefix,
            "EKYAM_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "EKYAM_LOG_LEVEL": "WARNING",
            "EKYAM_WEBHOOK_REQUIRE_HTTPS": "false",
            "EKYAM_WEBHOOK_RETRY_JITTER": "0",
            "EKYAM_WEBHOOK_SCHEDULER_INTERVAL_SECONDS": "0.5",
            "EKYAM_DEBUG": "false",
            **extra,
        }
        env.pop("EKYAM_TEST_DB_NAME", None)
        return env

    def consumers(self, env: dict, count: int = 2) -> list[subprocess.Popen]:
        started = [
            _start_consumer(env, f"{env['EKYAM_KAFKA_TOPIC_PREFIX']}-webhooks", self.threads) for _ in range(count)
        ]
        self.children.extend(p for p, _ in started)
        wait(lambda: all(event.is_set() for _, event in started), 180, "consumers to join the group")
        return [p for p, _ in started]

    def relay(self, env: dict) -> subprocess.Popen:
        """The relay, once it publishes: a drill's events then flow as they are emitted (a stream
        emitted while the relay was still starting arrived as one backlog, and its latencies measured
        the relay's start, not delivery)."""
        from ekyam.events.models import OutboxEvent
        from ekyam.events.outbox import emit

        process = start_relay(env)
        self.children.append(process)
        if self.warm_up is None:
            self.warm_up = self.organization("warm-up")  # no endpoints: its events go nowhere
        probe = emit(self.warm_up, "drill.relay_started", {}, key="probe")
        wait(
            lambda: (
                OutboxEvent.objects.filter(pk=probe.pk, published_at__isnull=False).exists()
                or process.poll() is not None
            ),
            120,
            "the relay to publish",
        )
        return process

    def restart_broker(self) -> None:
        self.broker.stop()
        self.broker = embedded.start_kafka(port=self.broker_port)

    def stop_children(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)
        self.children = []

    def close(self) -> None:
        self.stop_children()
        self.receiver.terminate()
        self.receiver.wait(10)
        for organization in self.organizations:
            _delete_organization(organization)
        if self.broker is not None:
            self.broker.stop()


def wait(predicate, timeout: float, what: str, interval: float = 0.25) -> bool:
    """`poll`, saying so when it gives up (a drill reports what it lost instead of stopping)."""
    if poll(predicate, timeout, interval):
        return True
    print(f"    (gave up waiting for {what} after {timeout:.0f} s)", file=sys.stderr, flush=True)
    return False


def stop_timed(processes: list[subprocess.Popen]) -> float:
    started = time.monotonic()
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(120)
    return time.monotonic() - started


def result(rig: Rig, name: str, sent: int, note: str = "") -> dict:
    stats = rig.stats(name)
    ok = stats["ok"]
    return {
        "sent": sent,
        "delivered": len(ok),
        "extra": sum(len(times) - 1 for times in ok.values()),
        "lost": sent - len(ok),
        "verified": f"{stats['verified']}/{stats['requests']}",
        "note": note,
    }


# --- the drills ------------------------------------------------------------------------------


def drill_fail_first(rig: Rig, n: int) -> list[tuple[str, dict]]:
    organization = rig.organization("fail-first")
    _endpoint, name = rig.endpoint(organization, "fail-first", fail_first=3)
    env = rig.env(f"drill{uuid.uuid4().hex[:6]}", EKYAM_WEBHOOK_RETRY_SCHEDULE="0,1,1,1,1")
    rig.consumers(env)
    rig.relay(env)
    rig.emit(organization, n)
    wait(lambda: rig.delivered(name) >= n, 120 + n / 20, "every message")
    time.sleep(3)  # late duplicates, if any, arrive now
    from webhooks.models import DeadLetter, DeliveryAttempt

    attempts = DeliveryAttempt.objects.filter(delivery__endpoint__organization=organization).count()
    dead = DeadLetter.objects.filter(organization=organization).count()
    rig.stop_children()
    return [(name, result(rig, name, n, f"attempts recorded {attempts} (expected {4 * n}), dead letters {dead}"))]


def drill_slow_beside_healthy(rig: Rig, n: int) -> list[tuple[str, dict]]:
    from webhooks import actions
    from webhooks.models import Message

    organization = rig.organization("slow")
    slow, slow_name = rig.endpoint(organization, "slow", delay=8)
    _healthy, healthy_name = rig.endpoint(organization, "healthy")
    env = rig.env(f"drill{uuid.uuid4().hex[:6]}", EKYAM_WEBHOOK_TIMEOUT_SECONDS="5")
    consumers = rig.consumers(env)
    rig.relay(env)
    rig.emit(organization, n, per_second=100)  # a steady stream, so latency is per event, not a backlog
    wait(lambda: rig.delivered(healthy_name) >= n, 120 + n / 20, "the healthy endpoint's messages")
    ok = rig.stats(healthy_name)["ok"]
    published = dict(Message.objects.filter(organization=organization).values_list("webhook_id", "published_at"))
    latencies = [times[0] - published[w].timestamp() for w, times in ok.items() if published.get(w)]
    actions.disable_endpoint(slow, "drill: disabled mid-stream")
    time.sleep(6)  # attempts in flight at the moment end within the timeout
    before = rig.stats(slow_name)["requests"]
    time.sleep(6)
    after_disable = rig.stats(slow_name)["requests"] - before
    exit_seconds = stop_timed(consumers)
    note = (
        f"a stream of 100 events/s; healthy p50 {statistics.median(latencies):.2f} s, p99 {percentile(latencies, 0.99):.2f} s; slow endpoint "
        f"(answers in 8 s, timeout 5 s): {before} requests, {after_disable} after it was disabled; "
        f"consumers exited {exit_seconds:.1f} s after SIGTERM"
    )
    rig.stop_children()
    return [(healthy_name, result(rig, healthy_name, n, note))]


def drill_consumer_kill(rig: Rig, n: int) -> list[tuple[str, dict]]:
    organization = rig.organization("kill")
    _endpoint, name = rig.endpoint(organization, "kill", delay=0)
    env = rig.env(f"drill{uuid.uuid4().hex[:6]}")
    consumers = rig.consumers(env)
    rig.relay(env)
    rig.emit(organization, n)
    wait(lambda: rig.delivered(name) >= n // 10, 120, "the stream to start")
    consumers[0].kill()  # SIGKILL
    rig.consumers(env, 1)
    wait(lambda: rig.delivered(name) >= n, 180 + n / 20, "every message")
    time.sleep(3)
    rig.stop_children()
    return [(name, result(rig, name, n, "one of two consumers SIGKILLed at 10 %, a new one started"))]


def drill_broker_restart(rig: Rig, n: int) -> list[tuple[str, dict]]:
    if rig.broker is None:
        return [("broker-restart", {"skipped": "needs the embedded broker (KAFKA_BOOTSTRAP_SERVERS unset)"})]
    organization = rig.organization("broker")
    _endpoint, name = rig.endpoint(organization, "broker")
    env = rig.env(f"drill{uuid.uuid4().hex[:6]}")
    consumers = rig.consumers(env)
    relay = rig.relay(env)
    rig.emit(organization, n // 2)
    wait(lambda: rig.delivered(name) >= n // 10, 120, "the stream to start")
    rig.restart_broker()
    rig.emit(organization, n - n // 2, start=n // 2)
    wait(lambda: rig.delivered(name) >= n, 240 + n / 20, "every message after the broker restart")
    # Then both consumers killed and restarted: the group must recover on its own.
    for consumer in consumers:
        consumer.kill()
    rig.consumers(env)
    rig.emit(organization, 100, start=n)
    wait(lambda: rig.delivered(name) >= n + 100, 240, "delivery after both consumers restarted")
    time.sleep(3)
    note = f"broker restarted at 10 %, then both consumers killed and restarted; relay never restarted (alive: {relay.poll() is None})"
    rig.stop_children()
    return [(name, result(rig, name, n + 100, note))]


def drill_disable_recover(rig: Rig, n: int) -> list[tuple[str, dict]]:
    from ekyam.alerts.models import Alert
    from webhooks import actions
    from webhooks.models import DeadLetter, Delivery, Endpoint

    # 50 dead letters in a row disable the endpoint (a tenth of the events in a smaller drill); a
    # tenth of the drill's events more are emitted while it is disabled.
    disable_after, while_disabled = max(3, min(50, n // 10)), max(10, n // 10)
    organization = rig.organization("recover")
    endpoint, name = rig.endpoint(organization, "recover", status=500)
    env = rig.env(
        f"drill{uuid.uuid4().hex[:6]}",
        EKYAM_WEBHOOK_RETRY_SCHEDULE="0,1",
        EKYAM_WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES=str(disable_after),
    )
    rig.consumers(env)
    rig.relay(env)
    since = timezone.now() - timedelta(seconds=1)
    rig.emit(organization, n)
    wait(lambda: not Endpoint.objects.get(pk=endpoint.pk).is_active, 120 + n / 20, "the endpoint to be disabled")
    wait(lambda: Delivery.objects.filter(endpoint=endpoint).count() >= n, 120, "every message stored")
    rig.emit(organization, while_disabled, start=n)
    wait(
        lambda: Delivery.objects.filter(endpoint=endpoint).count() >= n + while_disabled,
        120,
        "the held messages stored",
    )
    dead = DeadLetter.objects.filter(endpoint=endpoint).count()
    held = actions.held(endpoint).count()
    alerts = Alert.objects.filter(organization=organization).count()
    rig.configure(name, status=0)  # the receiver is fixed
    counts = actions.recover_endpoint(endpoint, since)
    wait(lambda: rig.delivered(name) >= n + while_disabled, 120 + n / 20, "every message after recover")
    time.sleep(3)
    note = (
        f"disabled after {dead} dead letters (limit {disable_after}) with {held} held "
        f"({while_disabled} emitted while disabled); "
        f"recover: {counts['held']} held + {counts['replayed']} replayed; {alerts} alert rows"
    )
    rig.stop_children()
    return [(name, result(rig, name, n + while_disabled, note))]


def drill_retry_after(rig: Rig, n: int) -> list[tuple[str, dict]]:
    organization = rig.organization("retry-after")
    _endpoint, name = rig.endpoint(organization, "retry-after", fail_first=1, fail_status=429, retry_after=2)
    env = rig.env(
        f"drill{uuid.uuid4().hex[:6]}", EKYAM_WEBHOOK_RETRY_SCHEDULE="0,1,1", EKYAM_WEBHOOK_SLOWDOWN_FLOOR_SECONDS="60"
    )
    rig.consumers(env)
    rig.relay(env)
    rig.emit(organization, n)
    wait(lambda: rig.delivered(name) >= n, 120, "every message")
    attempts = rig.stats(name, attempts=True)["attempts"]
    gaps = [times[1] - times[0] for times in attempts.values() if len(times) > 1]
    median = f"{statistics.median(gaps):.1f} s" if gaps else "n/a (no message had a 2nd attempt)"
    note = f"429 + Retry-After: 2 with a 60 s floor: gap to the 2nd attempt median {median}"
    rig.stop_children()
    return [(name, result(rig, name, n, note))]


FUNCTIONS = {
    "fail-first": drill_fail_first,
    "slow-beside-healthy": drill_slow_beside_healthy,
    "consumer-kill": drill_consumer_kill,
    "broker-restart": drill_broker_restart,
    "disable-recover": drill_disable_recover,
    "retry-after": drill_retry_after,
}


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench webhook_drills")
    parser.add_argument("--events", type=int, default=1000, help="events per drill (retry-after: a tenth)")
    parser.add_argument("--threads", type=int, default=64, help="concurrent attempts per consumer")
    parser.add_argument("--drill", action="append", choices=DRILLS, help="run only these (repeatable)")
    args = parser.parse_args(argv)
    import logging

    from django.db import connection

    logging.getLogger("ekyam.http").setLevel(logging.WARNING)  # the drills' own calls to the receiver

    broker = "configured broker" if settings.KAFKA_BOOTSTRAP_SERVERS else "embedded broker"
    print(f"webhook drills on {connection.vendor} and the {broker}, 2 consumers, {args.events} events per drill")
    print(f"  {'drill':<22} {'sent':>6} {'delivered':>9} {'extra':>6} {'lost':>5} {'verified':>11}")
    rig = Rig(args.threads)
    try:
        for drill in args.drill or DRILLS:
            n = max(10, args.events // 10) if drill == "retry-after" else args.events
            for _name, row in FUNCTIONS[drill](rig, n):
                if "skipped" in row:
                    print(f"  {drill:<22} skipped: {row['skipped']}", flush=True)
                    continue
                print(
                    f"  {drill:<22} {row['sent']:>6} {row['delivered']:>9} {row['extra']:>6} {row['lost']:>5} "
                    f"{row['verified']:>11}   {row['note']}",
                    flush=True,
                )
    finally:
        rig.close()


BENCHMARKS = {"webhook_drills": (run, "fault drills: sent, delivered, extra copies, lost, verified per drill")}
