"""`manage.py bench webhooks --events N`: events through outbox → Kafka → consumer → a local receiver,
against the same number of signed POSTs from a bare aiohttp client to the same receiver.

The receiver (webhooks/bench_receiver.py) runs in its own process (so neither side shares its interpreter lock); the consumer
and the relay are the real `manage.py webhook_consumer` / `outbox_relay` processes. Prints
deliveries/s, p50/p95/p99 publish-to-delivery latency (Kafka publish time → receiver), both
throughputs and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ekyam import embedded
from webhooks.signing import generate_secret, sign


def _stats(base: str, full: bool = False) -> dict:
    from ekyam.http import HttpClient

    client = HttpClient(max_retries=0)
    try:
        return client.get(f"{base}/stats" + ("?full=1" if full else "")).json()
    finally:
        client.close()


# --- helpers ---------------------------------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"benchmark: timed out waiting for {what}")


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


async def _bare_client(url: str, n: int, concurrency: int, secret: str) -> float:
    import aiohttp

    body = json.dumps({"type": "bench.bare", "timestamp": timezone.now().isoformat(), "data": {"seq": 0}}).encode()
    queue_ = list(range(n))
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker():
            while queue_:
                queue_.pop()
                webhook_id = f"msg_{uuid.uuid4().hex}"
                ts = int(time.time())
                headers = {
                    "webhook-id": webhook_id,
                    "webhook-timestamp": str(ts),
                    "content-type": "application/json",
                    "webhook-signature": sign(secret, webhook_id, ts, body),
                }
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


# --- the benchmark ---------------------------------------------------------------------------


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench webhooks")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--consumers", type=int, default=1, help="consumer processes in the group")
    parser.add_argument("--threads", type=int, default=32, help="delivery threads per consumer = bare concurrency")
    parser.add_argument("--partitions", type=int, default=settings.KAFKA_TOPIC_PARTITIONS)
    args = parser.parse_args(argv)

    from ekyam import actions as org_actions
    from webhooks import actions
    from webhooks.models import Message, OutboxEvent

    broker = receiver = organization = None
    children: list[subprocess.Popen] = []
    try:
        bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
        if not bootstrap:
            broker = embedded.start_kafka()
            bootstrap = broker.url
        port = embedded.free_port()
        receiver = subprocess.Popen(
            [sys.executable, "-m", "webhooks.bench_receiver", str(port)], cwd=settings.BASE_DIR, start_new_session=True
        )
        embedded.wait_for_port("127.0.0.1", port, process=receiver)
        base = f"http://127.0.0.1:{port}"

        prefix = f"bench{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "EKYAM_KAFKA_TOPIC_PREFIX": prefix,
            "EKYAM_KAFKA_TOPIC_PARTITIONS": str(args.partitions),
            "EKYAM_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "EKYAM_LOG_LEVEL": "WARNING",
            "EKYAM_WEBHOOK_REQUIRE_HTTPS": "false",
            # Measure the production configuration: with DEBUG on, Django records every SQL query.
            "EKYAM_DEBUG": os.environ.get("EKYAM_BENCH_DEBUG", "false"),
        }
        env.pop("EKYAM_TEST_DB_NAME", None)
        organization = org_actions.create_organization(f"Webhook bench {prefix}")
        endpoint, _secret = actions.create_endpoint(
            organization, url=f"{base}/hook/pipeline", description="benchmark receiver"
        )
        consumers = [_start_consumer(env, f"{prefix}-webhooks", args.threads) for _ in range(args.consumers)]
        children.extend(p for p, _ in consumers)
        relay = subprocess.Popen(
            [sys.executable, "manage.py", "outbox_relay"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        children.append(relay)
        _wait(lambda: all(event.is_set() for _, event in consumers), 120, "consumers to join the group")

        # Warm-up: one event end to end (topics, connections, group settled).
        with transaction.atomic():
            OutboxEvent.objects.create(organization=organization, type="bench.warmup", key="warmup", payload={})
        _wait(lambda: _stats(base)["counts"]["pipeline"] >= 1, 120, "the warm-up delivery")

        n = args.events
        started = time.perf_counter()
        for offset in range(0, n, 500):
            with transaction.atomic():
                OutboxEvent.objects.bulk_create(
                    OutboxEvent(
                        organization=organization,
                        type="shipment.synced",
                        key=f"shipment:{i % 97}",
                        payload={"seq": i, "key": f"bench:{i}", "record": {"sku": "TEE", "quantity": 1}},
                    )
                    for i in range(offset, min(n, offset + 500))
                )
        emitted = time.perf_counter() - started
        _wait(lambda: _stats(base)["counts"]["pipeline"] >= n + 1, max(120, n / 50), f"{n} deliveries")
        pipeline_seconds = time.perf_counter() - started

        received = dict(_stats(base, full=True)["pipeline"])
        published = dict(
            Message.objects.filter(organization=organization, event_type="shipment.synced").values_list(
                "webhook_id", "published_at"
            )
        )
        latencies = [(received[w] - p.timestamp()) * 1000 for w, p in published.items() if w in received and p]

        bare_seconds = asyncio.run(_bare_client(f"{base}/hook/bare", n, args.threads, generate_secret()))
        pipeline_rate, bare_rate = n / pipeline_seconds, n / bare_seconds
        db = connection.vendor
        print(
            f"webhooks benchmark: {n} events, {args.consumers} consumer(s) x {args.threads} delivery threads, "
            f"{args.partitions} partitions, database {db}, {os.cpu_count()} CPUs"
        )
        print(f"  outbox insert of {n} events: {emitted:.2f} s")
        print(
            f"  pipeline (outbox → Kafka → consumer → signed POST): {pipeline_rate:,.0f} deliveries/s "
            f"({pipeline_seconds:.2f} s)"
        )
        print(
            f"  publish-to-delivery latency ms: p50 {_percentile(latencies, 50):.0f}  "
            f"p95 {_percentile(latencies, 95):.0f}  p99 {_percentile(latencies, 99):.0f}  "
            f"(n={len(latencies)})"
        )
        print(
            f"  bare aiohttp client (signed POSTs, concurrency {args.threads}): {bare_rate:,.0f} requests/s "
            f"({bare_seconds:.2f} s)"
        )
        print(f"  ratio pipeline / bare client: {pipeline_rate / bare_rate:.2f}")
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)
        if organization is not None:
            organization.delete()
        if broker:
            broker.stop()


BENCHMARKS = {"webhooks": (run, "events through outbox → Kafka → consumer → receiver vs a bare aiohttp client")}
