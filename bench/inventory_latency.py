"""`manage.py bench inventory_latency --events N`: Whiplash inventory webhook → new quantity in Shopify.

Measured: a Whiplash sandbox `item.inventory_changed` webhook (the sandbox changes the stock and POSTs the
signed event) → Ekyam's receiver → outbox → relay → Kafka → trigger consumer → Celery (Redis) → worker →
targeted sync → the Shopify sandbox shows the new quantity. The clock starts before the sandbox is asked to
fire and stops when the Shopify sandbox's stored level equals the new quantity.

Baseline, same run: the same stock change without a webhook, and the same targeted sync (a run of just that
item) executed directly in this process — no receiver, broker, consumer or worker hops.
Events are sent one at a time (each waits for the previous run to finish), so queueing does not blur them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from django.conf import settings

from bench.common import percentile, poll


def _level_is(shopify_app, sku: str, quantity: int):
    def check() -> bool:
        with shopify_app.lock:
            item = shopify_app.item_by_sku(sku)
            return item is not None and any(lvl["available"] == quantity for lvl in item["levels"].values())

    return check


def _idle(workflow) -> bool:
    from workflows.models import Run, RunStatus

    return not Run.objects.filter(workflow=workflow, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()


def _summary(label: str, latencies: list[float], lost: int) -> dict:
    row = {"label": label, "count": len(latencies), "lost": lost, "median": 0.0, "p95": 0.0}
    if latencies:
        row.update(median=statistics.median(latencies) * 1000, p95=percentile(latencies, 0.95) * 1000)
    return row


def bench_inventory_latency(argv: list[str]) -> None:
    from bench.realtime import RealtimeRig, WebReceiver, forget_earlier_topics
    from connectors.models import Connection, ConnectionStatus
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from ekyam.actions import create_organization
    from ekyam.http import HttpClient
    from workflows import actions, engine
    from workflows.models import Run, Trigger

    parser = argparse.ArgumentParser(prog="manage.py bench inventory_latency")
    parser.add_argument("--events", type=int, default=200)
    options = parser.parse_args(argv)
    events = max(options.events, 1)

    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    organization = create_organization(f"Latency bench {uuid.uuid4().hex[:8]}")
    http = HttpClient(max_retries=0)
    forget_earlier_topics()
    with (
        SandboxServer(whiplash.sandbox_app(rate_limit=0)) as wl,
        SandboxServer(shopify.sandbox_app()) as sh,
        WebReceiver() as web,
        RealtimeRig(worker=True) as rig,
    ):
        connections = {}
        for cls, server in ((whiplash, wl), (shopify, sh)):
            connection = Connection(organization=organization, connector_type=cls.slug, name=f"{cls.name} bench",
                                    status=ConnectionStatus.VERIFIED)  # fmt: skip
            credentials = cls.sandbox_credentials(server.url)
            if cls.slug == "whiplash":
                credentials["requests_per_second"] = "1000"
            connection.set_credentials(credentials)
            connection.save()
            connections[cls.slug] = connection
        workflow = actions.create_from_blueprint(
            organization, "inventory-sync", source_connection=connections["whiplash"],
            destination_connection=connections["shopify"], enabled=True, schedule_kind="none",
        )  # fmt: skip
        mode = (
            "Celery worker (child process, Redis broker)"
            if rig.with_worker
            else "inline in the consumer (no REDIS_URL)"
        )
        print(f"Whiplash inventory webhook → Shopify quantity, {events} events each, Kafka at {rig.bootstrap}, {mode}")
        items = list(wl.app.items.values())
        fire_url = f"{wl.url}/_sandbox/fire"

        def change(index: int, url: str | None) -> tuple[dict, int]:
            item = items[index % len(items)]
            quantity = 5000 + index  # never seen before: the sync must really write it
            body = {"event": "item.inventory_changed", "sku": item["sku"], "quantity": quantity, "warehouse_id": 1}
            if url:
                body["url"] = url
            answer = http.post(fire_url, json=body).json()
            return item, int(answer["body"]["item"]["quantity"])

        baseline, lost_baseline = [], 0
        for index in range(events):
            started = time.monotonic()
            item, expected = change(index, None)
            run = Run.objects.create(organization=organization, workflow=workflow, trigger=Trigger.EVENT,
                                     params={"record_ids": [str(item["id"])]})  # fmt: skip
            engine.execute_run(run.pk)
            if poll(_level_is(sh.app, item["sku"], expected), timeout=10):
                baseline.append(time.monotonic() - started)
            else:
                lost_baseline += 1

        measured, lost = [], 0
        hook = web.hook_url(connections["whiplash"])
        for index in range(events, 2 * events):
            started = time.monotonic()
            item, expected = change(index, hook)
            if poll(_level_is(sh.app, item["sku"], expected), timeout=30):
                measured.append(time.monotonic() - started)
            else:
                lost += 1
            poll(lambda: _idle(workflow), timeout=30, interval=0.01)

    rows = [
        _summary("baseline", baseline, lost_baseline),
        _summary("measured", measured, lost),
    ]
    notes = {"baseline": "direct targeted sync, no webhook/broker/worker", "measured": "webhook → Kafka → worker"}
    for row in rows:
        print(
            f"{row['label']:9} events={row['count']:5d} lost={row['lost']} median={row['median']:.1f}ms "
            f"p95={row['p95']:.1f}ms ({notes[row['label']]})"
        )
    base, full = rows
    median_ratio = full["median"] / base["median"] if base["median"] else 0.0
    p95_ratio = full["p95"] / base["p95"] if base["p95"] else 0.0
    print(f"ratio     median {median_ratio:.2f}x, p95 {p95_ratio:.2f}x the direct sync")
    if settings.DEBUG:
        print("note: DEBUG is on (slower request handling than production)")
