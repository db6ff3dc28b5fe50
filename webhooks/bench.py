"""`manage.py bench webhooks --events N`: events through outbox → Kafka → consumer → a local receiver,
against the same number of signed POSTs from a bare aiohttp client to the same receiver.

The receiver (webhooks/bench_receiver.py) runs in its own process (so neither side shares its
interpreter lock); the consumers and the relay are the real `manage.py webhook_consumer` /
`outbox_relay` processes. Each round runs the bare client (and the consumer's own HTTP client alone,
to show what the pipeline adds on top of it), then commits N outbox rows in one
transaction and times from that commit until the receiver has every delivery; `--rounds` paired
rounds give medians, so the ratio is not at the mercy of a shared machine's drift. Prints
deliveries/s, p50/p95/p99 publish-to-delivery latency (Kafka publish time → receiver), both
throughputs, their ratio, and the CPU each part of the pipeline spent per delivery (from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ekyam import embedded
from webhooks.bench_processes import _delete_organization, _percentile, _start_consumer, database_url
from webhooks.dispatcher import new_event_loop
from webhooks.drills import BENCHMARKS as DRILL_BENCHMARKS
from webhooks.signing import generate_secret, sign


def _stats(base: str, full: bool = False) -> dict:
    from ekyam.http import HttpClient

    client = HttpClient(max_retries=0)
    try:
        return client.get(f"{base}/stats" + ("?full=1" if full else "")).json()
    finally:
        client.close()


# --- helpers ---------------------------------------------------------------------------------


def _cpu_seconds(children_by_role: dict[str, list[int]]) -> dict[str, float | None]:
    """CPU seconds (user + system, all threads) each role's processes have used so far; None where
    /proc is not there to ask (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float | None] = {}
    for role, pids in children_by_role.items():
        total = 0.0
        try:
            for pid in pids:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            found[role] = None
            continue
        found[role] = total
    return found


def _local_postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (its backends for this run's connections included)."""
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("postgres"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"benchmark: timed out waiting for {what}")


def _signed_headers(secret: str, body: bytes) -> dict[str, str]:
    """A new message's Standard Webhooks headers, as both baseline clients send them."""
    webhook_id = f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "content-type": "application/json",
        "webhook-signature": sign(secret, webhook_id, timestamp, body),
    }


async def _bare_client(url: str, n: int, concurrency: int, secret: str) -> float:
    import aiohttp

    body = json.dumps({"type": "bench.bare", "timestamp": timezone.now().isoformat(), "data": {"seq": 0}}).encode()
    queue_ = list(range(n))
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker():
            while queue_:
                queue_.pop()
                async with session.post(url, data=body, headers=_signed_headers(secret, body)) as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def _hardened_client(url: str, n: int, concurrency: int, secret: str) -> float:
    """The consumer's own HTTP client (ekyam.http_async) alone: what the pipeline costs on top of it."""
    from webhooks.delivery import make_async_client

    body = json.dumps({"type": "bench.client", "timestamp": timezone.now().isoformat(), "data": {"seq": 0}}).encode()
    remaining = [n]
    client = make_async_client(concurrency)
    started = time.perf_counter()

    async def worker():
        while remaining[0] > 0:
            remaining[0] -= 1
            headers = _signed_headers(secret, body)
            await client.post(url, data=body, headers=headers, retry=False, timeout=(5.0, 15.0), max_body=4096)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await client.close()
    return time.perf_counter() - started


# --- the benchmark ---------------------------------------------------------------------------


def _round(organization, base: str, n: int, threads: int, roles: dict, delivered_before: int) -> dict:
    """One paired measurement: the bare client, then the pipeline, back to back on the same machine
    state (a shared 2-core machine drifts by tens of percent over a minute; pairs keep the ratio fair)."""
    from ekyam.events.models import OutboxEvent

    # On the consumer's event loop implementation, so the ratio compares pipelines, not loops.
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        bare_seconds = runner.run(_bare_client(f"{base}/hook/bare", n, threads, generate_secret()))
        client_seconds = runner.run(_hardened_client(f"{base}/hook/client", n, threads, generate_secret()))
    # The events are committed in one transaction and the clock starts at the commit: what is timed
    # is the delivery pipeline (relay → Kafka → consumer → receiver), not this process building
    # outbox rows on the same cores (applications write them inside their own transactions).
    insert_started = time.perf_counter()
    with transaction.atomic():
        for offset in range(0, n, 1000):
            OutboxEvent.objects.bulk_create(
                OutboxEvent(
                    organization=organization,
                    type="shipment.synced",
                    key=f"shipment:{i % 97}",
                    payload={"seq": i, "key": f"bench:{i}", "record": {"sku": "TEE", "quantity": 1}},
                )
                for i in range(offset, min(n, offset + 1000))
            )
    cpu_before = _cpu_seconds(roles)
    started = time.perf_counter()
    _wait(lambda: _stats(base)["counts"]["pipeline"] >= delivered_before + n, max(120, n / 50), f"{n} deliveries")
    pipeline_seconds = time.perf_counter() - started
    cpu_after = _cpu_seconds(roles)
    cpu_seconds = {
        role: None if cpu_before[role] is None or cpu_after[role] is None else (cpu_after[role] - cpu_before[role])
        for role in roles
    }
    return {
        "bare_rate": n / bare_seconds,
        "client_rate": n / client_seconds,
        "pipeline_rate": n / pipeline_seconds,
        "insert_seconds": started - insert_started,
        "cpu_seconds": cpu_seconds,
    }


def _report(args, rounds: list[dict], latencies: list[float]) -> None:
    n = args.events
    pipeline_rates = [r["pipeline_rate"] for r in rounds]
    bare_rates = [r["bare_rate"] for r in rounds]
    ratios = [p / b for p, b in zip(pipeline_rates, bare_rates, strict=True)]
    print(
        f"webhooks benchmark: {n} events x {len(rounds)} round(s), {args.consumers} consumer(s) x {args.threads} "
        f"delivery threads, {args.partitions} partitions, database {connection.vendor}, {os.cpu_count()} CPUs"
    )
    print(
        f"  outbox insert of {n} events (one transaction, before the clock starts): "
        f"{statistics.median(r['insert_seconds'] for r in rounds):.2f} s"
    )
    print(
        f"  pipeline (committed outbox → Kafka → consumer → signed POST): {statistics.median(pipeline_rates):,.0f} "
        f"deliveries/s (median; rounds: {', '.join(f'{rate:,.0f}' for rate in pipeline_rates)})"
    )
    print(
        f"  publish-to-delivery latency ms: p50 {_percentile(latencies, 50):.0f}  "
        f"p95 {_percentile(latencies, 95):.0f}  p99 {_percentile(latencies, 99):.0f}  "
        f"(n={len(latencies)})"
    )
    print(
        f"  bare aiohttp client (signed POSTs, concurrency {args.threads}): {statistics.median(bare_rates):,.0f} "
        f"requests/s (median; rounds: {', '.join(f'{rate:,.0f}' for rate in bare_rates)})"
    )
    print(
        f"  ratio pipeline / bare client: {statistics.median(ratios):.2f} "
        f"(median of the rounds' ratios: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
    )
    client_rates = [r["client_rate"] for r in rounds]
    client_ratios = [p / c for p, c in zip(pipeline_rates, client_rates, strict=True)]
    print(
        f"  the consumer's own HTTP client alone (ekyam.http_async on libcurl, same signing): "
        f"{statistics.median(client_rates):,.0f} requests/s; pipeline / that client: "
        f"{statistics.median(client_ratios):.2f} (what outbox, Kafka and the delivery rows cost)"
    )
    cpu = [r["cpu_seconds"] for r in rounds]
    if all(seconds is not None for per_role in cpu for seconds in per_role.values()):
        print(
            "  CPU per delivery in the pipeline, ms (median): "
            + "  ".join(
                f"{role} {statistics.median(per_role[role] for per_role in cpu) * 1000 / n:.3f}" for role in cpu[0]
            )
        )


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench webhooks")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--consumers", type=int, default=2, help="consumer processes in the group")
    parser.add_argument(
        "--threads", type=int, default=64, help="concurrent attempts per consumer = the bare client's concurrency"
    )
    parser.add_argument("--partitions", type=int, default=settings.KAFKA_TOPIC_PARTITIONS)
    parser.add_argument("--rounds", type=int, default=3, help="paired bare/pipeline measurements; medians reported")
    args = parser.parse_args(argv)

    from ekyam import actions as org_actions
    from ekyam.events.models import OutboxEvent
    from webhooks import actions
    from webhooks.models import Message

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

        roles = {"consumers": [p.pid for p, _ in consumers], "relay": [relay.pid], "receiver": [receiver.pid]}
        if broker is not None:
            roles["broker"] = [broker.process.pid]
        if connection.vendor == "postgresql" and connection.settings_dict["HOST"] in ("", "localhost", "127.0.0.1"):
            roles["postgres"] = _local_postgres_pids()
        n = args.events
        rounds = []
        for number in range(args.rounds):
            result = _round(organization, base, n, args.threads, roles, delivered_before=1 + number * n)
            rounds.append(result)
            print(
                f"  round {number + 1}: pipeline {result['pipeline_rate']:,.0f} deliveries/s, bare client "
                f"{result['bare_rate']:,.0f} requests/s, ratio {result['pipeline_rate'] / result['bare_rate']:.2f}",
                file=sys.stderr,
                flush=True,
            )

        received = _stats(base, full=True)["pipeline"]  # webhook-id → first arrival
        published = dict(
            Message.objects.filter(organization=organization, event_type="shipment.synced").values_list(
                "webhook_id", "published_at"
            )
        )
        latencies = [(received[w] - p.timestamp()) * 1000 for w, p in published.items() if w in received and p]
        _report(args, rounds, latencies)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)
        if organization is not None:
            _delete_organization(organization)
        if broker:
            broker.stop()


BENCHMARKS = {
    "webhooks": (run, "events through outbox → Kafka → consumer → receiver vs a bare aiohttp client"),
    **DRILL_BENCHMARKS,
}
