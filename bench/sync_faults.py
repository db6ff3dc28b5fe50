"""`manage.py bench sync_faults`: the sync engine under faults, worker kills and bursts, with the counts
that say whether anything was lost or sent twice.

1. Shipments: N NetSuite item fulfillments → Whiplash orders through a real Celery worker, while a fault
   injector sets the sandboxes' knobs over HTTP (`/_sandbox/knobs`) in a loop — Whiplash 503, 429, "stored
   then 502" (the order is kept, the answer fails), a lagging order search after it (the next create gets a
   409), NetSuite 429 and 503 — with three bad records in the data (a NUL character, a 1 MB memo, a
   fulfillment whose GET always fails). The worker is SIGKILLed mid-run (twice by default) and restarted
   one second later, as `manage.py standalone` does; stale runs are swept every EKYAM_WORKFLOW_SWEEP_SECONDS
   as beat does. Printed: shipments vs orders, duplicates, missing (no order and no record error), the
   record errors, the time from each kill to the next committed batch, and the faults injected. Baseline:
   the same flow with a fifth of the shipments and no faults, in the same run.
2. Bursts: Whiplash `item.inventory_changed` webhooks fired through `/_sandbox/fire` (two changes per SKU
   for 20 SKUs, from four threads) → web receiver → outbox → Kafka → trigger consumer → worker → Shopify.
   Printed: the time until every SKU's last quantity is in Shopify, median and max over the bursts, against
   a single change's time measured the same way.

Targets: 0 duplicates, 0 missing, a burst of 40 converged in under 10 s, resume after a kill in under 90 s.
Needs Redis (REDIS_URL) for the worker; Kafka is the configured broker or an embedded one.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from bench.common import database_url, poll
from bench.realtime import Child, RealtimeRig, WebReceiver, forget_earlier_topics

WHIPLASH_FAULTS = (
    {"fail_next": [503]},
    {"fail_next": [429]},
    {"create_response_status": [502]},  # stored, then a 502
    {"create_response_status": [502], "stale_searches": 3},  # stored, then a search that misses it: a 409 next
)
NETSUITE_FAULTS = ({"fail_next": [429]}, {"fail_next": [503]})


def _knobs(server, **knobs) -> None:
    from ekyam.http import HttpClient

    HttpClient(max_retries=0).post(f"{server.url}/_sandbox/knobs", json=knobs)


def _organization_with(*pairs):
    from connectors.models import Connection, ConnectionStatus
    from ekyam.actions import create_organization

    organization = create_organization(f"Drill {uuid.uuid4().hex[:8]}")
    connections = []
    for cls, server in pairs:
        connection = Connection(organization=organization, connector_type=cls.slug, name=f"{cls.name} drill",
                                status=ConnectionStatus.VERIFIED)  # fmt: skip
        credentials = cls.sandbox_credentials(server.url)
        if cls.slug == "whiplash":
            credentials["requests_per_second"] = "0"  # the sandbox pushes back only when a fault says so
        connection.set_credentials(credentials)
        connection.save()
        connections.append(connection)
    return organization, connections


def _retire(organization) -> None:
    """Pause the drill's workflows when its sandboxes go away: events still in flight (or relayed by a later
    drill on the same database) must not start runs against servers that no longer exist."""
    from workflows import actions
    from workflows.models import Workflow

    for workflow in Workflow.objects.filter(organization=organization, enabled=True):
        actions.pause_workflow(workflow, reason="The drill that created this workflow has ended.")


class Worker:
    """A Celery worker child that the drill kills and restarts."""

    def __init__(self):
        self.child = None
        self.kills = 0

    def start(self, wait: bool = False) -> None:
        env = {**os.environ, "DATABASE_URL": database_url(), "EKYAM_LOG_LEVEL": "WARNING"}
        self.hostname = f"drill-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        argv = [sys.executable, "-m", "celery", "-A", "ekyam", "worker", "--pool", "solo", "--concurrency", "1",
                "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
                "--hostname", self.hostname]  # fmt: skip
        self.child = Child("celery worker", argv, env)
        if wait:
            from ekyam.celery import app

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not app.control.ping([self.hostname], timeout=1.0):
                pass  # booting: ping answers once the worker consumes

    def kill(self) -> None:
        os.killpg(self.child.process.pid, signal.SIGKILL)
        self.child.process.wait(timeout=30)
        self.kills += 1

    def stop(self) -> None:
        if self.child is not None and self.child.process.poll() is None:
            self.child.stop()


def _inject(stop: threading.Event, wl, ns, counts: Counter, every: float) -> None:
    turn = 0
    while not stop.wait(every):
        knobs = WHIPLASH_FAULTS[turn % len(WHIPLASH_FAULTS)]
        _knobs(wl, **knobs)
        counts["whiplash " + ", ".join(f"{k}={v}" for k, v in knobs.items())] += 1
        if turn % 2 == 0:
            knobs = NETSUITE_FAULTS[(turn // 2) % len(NETSUITE_FAULTS)]
            _knobs(ns, **knobs)
            counts["netsuite " + ", ".join(f"{k}={v}" for k, v in knobs.items())] += 1
        turn += 1


def _shipments_round(count: int, *, faults: bool, kills: int, page_size: int, timeout: float) -> dict:
    from connectors.netsuite.connector import NetSuiteConnector
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from workflows import actions, conf, sinks
    from workflows.models import RecordError, RecordErrorStatus, Run

    netsuite, whiplash = get_connector("netsuite"), get_connector("whiplash")
    with (
        SandboxServer(netsuite.sandbox_app(records=count)) as ns,
        SandboxServer(whiplash.sandbox_app(records=0, rate_limit=1_000_000.0)) as wl,
    ):
        ids = sorted(ns.app.data.ids("itemFulfillment"), key=int)
        bad = {}
        if faults and count >= 40:
            now = datetime.now(UTC)
            ns.app.data.upsert("itemFulfillment", ids[10], {"memo": "gift\x00wrap"}, now)
            ns.app.data.upsert("itemFulfillment", ids[20], {"memo": "x" * 1_000_000}, now)
            ns.app.unreadable = {ids[30]}
            bad = {ids[10]: "NUL memo", ids[20]: "1 MB memo", ids[30]: "unreadable"}
        organization, (source, destination) = _organization_with((netsuite, ns), (whiplash, wl))
        workflow = actions.create_from_blueprint(
            organization, "shipment-sync", source_connection=source, destination_connection=destination,
            enabled=True, page_size=page_size,
        )  # fmt: skip
        worker = Worker()
        worker.start(wait=True)  # timed from here: the run, not the worker's boot
        injected: Counter = Counter()
        stop = threading.Event()
        injector = threading.Thread(target=_inject, args=(stop, wl, ns, injected, 0.5), daemon=True)
        resumes: list[float] = []
        started = time.monotonic()
        try:
            if faults:
                injector.start()
            run = actions.run_now(workflow)
            killed_at = killed_batches = None
            next_sweep = time.monotonic() + conf.SWEEP_SECONDS
            while time.monotonic() - started < timeout:
                run = Run.objects.get(pk=run.pk)
                if run.is_finished:
                    break
                now = time.monotonic()
                if killed_at is not None and run.batches > killed_batches:
                    resumes.append(now - killed_at)
                    killed_at = None
                if killed_at is None and worker.kills < kills and run.batches >= 2 + worker.kills * 3:
                    worker.kill()
                    killed_at, killed_batches = time.monotonic(), run.batches
                    time.sleep(1.0)  # the supervisor's first backoff
                    worker.start()
                if now >= next_sweep:
                    actions.requeue_stale_runs()  # what beat does every SWEEP_SECONDS
                    next_sweep = now + conf.SWEEP_SECONDS
                time.sleep(0.2)
        finally:
            stop.set()
            worker.stop()
            _retire(organization)
        elapsed = time.monotonic() - started
        connector_cls = NetSuiteConnector
        expected = {sinks.record_key(connector_cls, "shipments", {"id": i})[0]: i for i in ids}
        originals = Counter(str(o["originator"]["original_id"]) for o in wl.app.orders.values())
        errors = list(RecordError.objects.filter(workflow=workflow, status=RecordErrorStatus.OPEN).order_by("pk"))
        error_keys = {e.trace_key for e in errors}
        missing = [key for key in expected if key not in originals and key not in error_keys]
        return {
            "count": count,
            "status": run.status,
            "attempts": run.attempts,
            "seconds": elapsed,
            "orders": len(originals),
            "duplicates": sum(n - 1 for n in originals.values() if n > 1),
            "missing": len(missing),
            "errors": errors,
            "bad": {key: bad[i] for key, i in expected.items() if i in bad},
            "resumes": resumes,
            "injected": injected,
            "conflicts": wl.app.state().get("order_conflicts", 0),
            "summary": run.error_summary,
        }


def _burst_rounds(bursts: int) -> dict:
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from ekyam.http import HttpClient
    from workflows import actions

    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    http = HttpClient(max_retries=0, read_timeout=30)
    forget_earlier_topics()
    with (
        RealtimeRig(worker=True) as rig,
        WebReceiver() as web,
        SandboxServer(whiplash.sandbox_app(rate_limit=0)) as wl,
        SandboxServer(shopify.sandbox_app()) as sh,
    ):
        organization, (source, destination) = _organization_with((whiplash, wl), (shopify, sh))
        actions.create_from_blueprint(
            organization, "inventory-sync", source_connection=source, destination_connection=destination, enabled=True
        )
        wl.app.webhook_url = web.hook_url(source)
        items = list(wl.app.items.values())[:20]

        def fire(change):
            sku, quantity = change
            body = {"event": "item.inventory_changed", "sku": sku, "quantity": quantity, "warehouse_id": 1}
            return http.post(f"{wl.url}/_sandbox/fire", json=body).json()

        def converge(changes, timeout=120.0) -> float:
            started = time.monotonic()
            timelines.append({"since": timezone.now(), "mono": started})
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(fire, changes))
            expected = {}
            for sku, _quantity in changes:
                item = wl.app.items[wl.app.items_by_sku[sku]]
                expected[sku] = wl.app._item_entity(item)["quantity"]
            while time.monotonic() - started < timeout:
                levels = sh.app.state()["levels"]
                if all(q in levels[sku].values() for sku, q in expected.items()):
                    timelines[-1]["converged"] = time.monotonic() - started
                    return timelines[-1]["converged"]
                time.sleep(0.05)
            return float("inf")

        timelines: list[dict] = []
        converge([(items[1]["sku"], 899)])  # warm-up: the consumer's and the worker's first event
        try:
            single = [converge([(items[0]["sku"], 900 + n)]) for n in range(3)]
            times = []
            for burst in range(bursts):
                base = 1000 + 100 * burst
                changes = [(item["sku"], base + 2 * n + r) for r in (0, 1) for n, item in enumerate(items)]
                times.append(converge(changes))
            # The last burst converged in Shopify while its runs may still be finishing their rows:
            # let them finish, so its timeline is whole (a bound on a hang, not a figure).
            poll(lambda: not _unfinished_runs(source, timelines[0]["since"]), timeout=60, interval=0.1)
            ends = [line["since"] for line in timelines[1:]] + [None]
            stages = [_burst_timeline(source, line, end) for line, end in zip(timelines, ends, strict=True)]
            stages = stages[-bursts:] if bursts else []
        finally:
            _retire(organization)
        # What the relay and the trigger consumer warned of (a republished backlog, a lost race) explains a tail.
        warnings = [
            f"{c.name}: {line.strip()}"
            for c in rig.children
            if c.name != "celery worker"
            for line in c.lines
            if "WARNING" in line
        ]
        return {"single": statistics.median(single), "times": times, "stages": stages, "warnings": warnings}


def _runs_since(source, since):
    """The runs of the source's workflows queued since `since`."""
    from workflows.models import Run

    return Run.objects.filter(workflow__nodes__connection=source, queued_at__gte=since)


def _unfinished_runs(source, since) -> bool:
    from workflows.models import FINISHED_STATUSES

    return _runs_since(source, since).exclude(status__in=FINISHED_STATUSES).exists()


def _burst_timeline(source, line: dict, end) -> dict:
    """Where one burst's time went, from the rows it left: the last webhook stored, the runs it started
    (how long each waited in the queue and ran), seconds from the burst's first webhook fired."""
    from connectors.models import InboundWebhook

    since = line["since"]

    def offset(moment) -> float:
        return (moment - since).total_seconds() if moment else float("nan")

    hooks = InboundWebhook.objects.filter(connection=source, received_at__gte=since)
    runs = _runs_since(source, since)
    if end is not None:  # up to the next burst's first webhook
        hooks, runs = hooks.filter(received_at__lt=end), runs.filter(queued_at__lt=end)
    hooks, runs = hooks.order_by("received_at"), list(runs.order_by("pk"))
    last_hook = hooks.last()
    return {
        "hooks": hooks.count(),
        "last_hook": offset(last_hook.received_at if last_hook else None),
        "runs": len(runs),
        "attempts": sum(r.attempts for r in runs),
        "max_wait": max((offset(r.started_at) - offset(r.queued_at) for r in runs if r.started_at), default=0.0),
        "ran": sum((r.finished_at - r.started_at).total_seconds() for r in runs if r.finished_at and r.started_at),
        "last_finish": max((offset(r.finished_at) for r in runs if r.finished_at), default=float("nan")),
        "converged": line.get("converged", float("inf")),
    }


def bench_sync_faults(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench sync_faults")
    parser.add_argument("--shipments", type=int, default=500, help="0 skips the shipments part")
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs of the worker during the shipments run")
    parser.add_argument("--bursts", type=int, default=5, help="bursts of 40 inventory changes (0 skips them)")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=1200.0, help="give up on the shipments run after this")
    options = parser.parse_args(argv)
    if not settings.REDIS_URL:
        raise SystemExit("The drill needs a Celery broker: set REDIS_URL.")

    print(
        f"sync_faults: {options.shipments} NetSuite shipments → Whiplash under injected faults, worker SIGKILLed "
        f"{options.kills}×; {options.bursts} bursts of 40 Whiplash inventory changes → Shopify"
    )
    if options.shipments:
        _print_shipments(options)
    if options.bursts:
        _print_bursts(options)


def _print_shipments(options) -> None:
    baseline = _shipments_round(max(options.shipments // 5, 1), faults=False, kills=0, page_size=options.page_size,
                                timeout=options.timeout)  # fmt: skip
    drill = _shipments_round(options.shipments, faults=True, kills=options.kills, page_size=options.page_size,
                             timeout=options.timeout)  # fmt: skip
    for label, row in (("baseline", baseline), ("faults", drill)):
        print(
            f"{label:9} shipments={row['count']} orders={row['orders']} duplicates={row['duplicates']} "
            f"missing={row['missing']} record_errors={len(row['errors'])} status={row['status']} "
            f"attempts={row['attempts']} time={row['seconds']:.1f}s "
            f"shipments/s={row['count'] / row['seconds']:.1f}"
        )
    for error in drill["errors"]:
        planted = drill["bad"].get(error.trace_key, "not planted")
        print(f"  record error {error.trace_key} [{planted}] {error.stage}/{error.error_class}: {error.message[:110]}")
    resumes = drill["resumes"]
    print(
        "resume after kill: "
        + (", ".join(f"{s:.1f}s" for s in resumes) or "n/a")
        + (f" (max {max(resumes):.1f}s; target < 90 s)" if resumes else "")
    )
    print(
        "faults injected: "
        + "; ".join(f"{name} ×{n}" for name, n in sorted(drill["injected"].items()))
        + f"; Whiplash 409s answered: {drill['conflicts']}"
    )
    if drill["summary"]:
        print(f"run summary: {drill['summary'][:300]}")
    ratio = (drill["count"] / drill["seconds"]) / (baseline["count"] / baseline["seconds"])
    print(f"ratio     throughput under faults {ratio:.2f}x the fault-free baseline")


def _print_bursts(options) -> None:
    bursts = _burst_rounds(options.bursts)
    times = bursts["times"]
    print(
        f"bursts of 40: converged in median {statistics.median(times):.2f}s, max {max(times):.2f}s over "
        f"{len(times)} bursts (target < 10 s); one change alone {bursts['single']:.2f}s; "
        f"ratio {statistics.median(times) / bursts['single']:.2f}x"
    )
    for line in bursts["warnings"][-10:]:
        print(f"  logged: {line[:200]}")
    for n, stage in enumerate(bursts["stages"], 1):
        print(
            f"  burst {n}: converged {stage['converged']:.2f}s; {stage['hooks']} webhooks stored by "
            f"{stage['last_hook']:.2f}s; {stage['runs']} runs ({stage['attempts']} claims), longest queue wait "
            f"{stage['max_wait']:.2f}s, {stage['ran']:.2f}s running in all, last finished at {stage['last_finish']:.2f}s"
        )


BENCHMARKS = {
    "sync_faults": (bench_sync_faults, "The sync engine under faults, worker kills and bursts (--shipments N)"),
}
