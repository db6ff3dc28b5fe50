"""`manage.py bench workflow --shipments N`: NetSuite → Shipment Sync → Whiplash end to end.

Starts the NetSuite and Whiplash sandboxes on loopback, creates the workflow from its template in a
throw-away organization, and runs it with a real Celery worker (a child process on the Redis broker;
inline when no broker is configured, and then said so). Prints shipments per second, the worker's peak
memory and HTTP requests per shipment, for N/4 shipments (the baseline) and N shipments, with the ratios:
memory should stay flat as the count grows, throughput should not fall.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid

from django.conf import settings

from workflows.bench_faults import BENCHMARKS as FAULT_BENCHMARKS
from workflows.bench_latency import BENCHMARKS as LATENCY_BENCHMARKS


def _peak_rss(process, stop: threading.Event, out: list) -> None:
    import psutil

    peak = 0
    try:
        proc = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            except psutil.Error:
                break
            peak = max(peak, rss)
            time.sleep(0.1)
    finally:
        out.append(peak)


def _start_worker():
    if not settings.REDIS_URL:
        return None
    argv = [sys.executable, "-m", "celery", "-A", "ekyam", "worker", "--pool", "solo", "--concurrency", "1",
            "--without-gossip", "--without-mingle", "--loglevel", "WARNING", "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": _current_database_url()}
    return subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _current_database_url() -> str:
    """The database this process really uses (a test database under pytest), for the worker child."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _one_round(count: int, worker, whiplash_rate: float) -> dict:
    from connectors.models import Connection, ConnectionStatus
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from ekyam.actions import create_organization
    from workflows import actions, engine
    from workflows.models import Run

    netsuite, whiplash = get_connector("netsuite"), get_connector("whiplash")
    organization = create_organization(f"Bench {uuid.uuid4().hex[:8]}")
    with (
        SandboxServer(netsuite.sandbox_app(records=count)) as ns,
        SandboxServer(whiplash.sandbox_app(records=0, rate_limit=whiplash_rate or 1_000_000.0)) as wl,
    ):
        connections = []
        for cls, server in ((netsuite, ns), (whiplash, wl)):
            connection = Connection(organization=organization, connector_type=cls.slug, name=f"{cls.name} bench",
                                    status=ConnectionStatus.VERIFIED)  # fmt: skip
            credentials = cls.sandbox_credentials(server.url)
            if cls.slug == "whiplash":
                credentials["requests_per_second"] = str(whiplash_rate)
            connection.set_credentials(credentials)
            connection.save()
            connections.append(connection)
        workflow = actions.create_from_blueprint(
            organization, "shipment-sync", source_connection=connections[0], destination_connection=connections[1],
            enabled=True, page_size=200,
        )  # fmt: skip
        before = ns.app.request_count + wl.app.request_count
        stop, peak = threading.Event(), []
        sampler = threading.Thread(target=_peak_rss, args=(worker, stop, peak), daemon=True) if worker else None
        if sampler:
            sampler.start()
        started = time.monotonic()
        run = actions.run_now(workflow)
        if worker is None:
            engine.execute_run(run.pk)
        while True:
            run = Run.objects.get(pk=run.pk)
            if run.is_finished:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        stop.set()
        if sampler:
            sampler.join()
        requests = ns.app.request_count + wl.app.request_count - before
    if worker is None:
        import resource

        peak = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]
    return {
        "count": count,
        "status": run.status,
        "summary": run.error_summary,
        "written": run.written_count,
        "seconds": elapsed,
        "per_second": run.written_count / elapsed if elapsed else 0.0,
        "peak_mb": (peak[0] if peak else 0) / 1e6,
        "requests_per_shipment": requests / max(count, 1),
    }


def bench_workflow(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench workflow")
    parser.add_argument("--shipments", type=int, default=2000)
    parser.add_argument(
        "--whiplash-rate", type=float, default=10.0,
        help="The Whiplash connection's client-side request rate (Whiplash's real limit is 10/s; 0: unlimited).",
    )  # fmt: skip
    options = parser.parse_args(argv)

    worker = _start_worker()
    mode = "Celery worker (child process, Redis broker)" if worker else "inline (no REDIS_URL: no broker, no worker)"
    print(f"NetSuite → Shipment Sync → Whiplash, {mode}, Whiplash rate {options.whiplash_rate or 'unlimited'}/s")
    try:
        time.sleep(2 if worker else 0)  # let the worker connect to the broker
        baseline = _one_round(max(options.shipments // 4, 1), worker, options.whiplash_rate)
        full = _one_round(options.shipments, worker, options.whiplash_rate)
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=60)
    for label, row in (("baseline", baseline), ("measured", full)):
        print(
            f"{label:9} shipments={row['count']:6d} status={row['status']:9} written={row['written']:6d} "
            f"time={row['seconds']:.2f}s shipments/s={row['per_second']:.1f} peak_worker_memory={row['peak_mb']:.1f}MB "
            f"requests/shipment={row['requests_per_shipment']:.3f}"
        )
        if row["summary"]:
            print(f"{'':9} summary: {row['summary'][:300]}")
    memory_ratio = full["peak_mb"] / baseline["peak_mb"] if baseline["peak_mb"] else 0.0
    speed_ratio = full["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0
    print(f"ratio     memory {memory_ratio:.2f}x for {full['count'] / baseline['count']:.0f}x the shipments; "
          f"throughput {speed_ratio:.2f}x the baseline")  # fmt: skip


BENCHMARKS = {
    "workflow": (bench_workflow, "NetSuite → Shipment Sync → Whiplash with a real worker (--shipments N)"),
    **LATENCY_BENCHMARKS,
    **FAULT_BENCHMARKS,
}
