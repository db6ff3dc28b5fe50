"""Benchmarks of reconciliation and dry runs, against the sandboxes on loopback.

`manage.py bench reconcile --skus N`: Whiplash (N items) vs Shopify (N inventory items) through the
Inventory Sync, with 1 % of the Shopify quantities edited. Prints records/s, read requests per record and
the read cost per record beside the vendor's limits (Whiplash requests/s, Shopify cost points restored per
second), and, as the baseline measured in the same run, the bare paged reads of both sides (no mapping,
no comparison, no rows) with the ratio.

`manage.py bench dry_run --shipments N`: a dry run of the Shipment Sync on N NetSuite fulfillments, then
the real run: orders written by the dry run (must be 0), cursor moved (must be no), and how many records
the real run wrote exactly as planned (must be all). Baseline: the real run's own time.
"""

from __future__ import annotations

import argparse
import time
import uuid


def _organization():
    from ekyam.actions import create_organization

    return create_organization(f"Bench {uuid.uuid4().hex[:8]}")


def _connect(organization, cls, server, **overrides):
    from connectors.models import Connection, ConnectionStatus

    connection = Connection(
        organization=organization, connector_type=cls.slug, name=f"{cls.name} bench", status=ConnectionStatus.VERIFIED
    )
    connection.set_credentials({**cls.sandbox_credentials(server.url), **overrides})
    connection.save()
    return connection


def _raw_reads(whiplash_connection, shopify_connection) -> tuple[int, int, float]:
    """The baseline: every Whiplash item page and every Shopify inventory-levels page, nothing else."""
    from connectors.actions import build_connector

    whiplash, shopify = build_connector(whiplash_connection), build_connector(shopify_connection)
    started = time.monotonic()
    records = sum(len(page.records) for page in whiplash.read("inventory", page_size=250))
    records += sum(len(batch) for batch in shopify.current_state("inventory"))
    requests = whiplash.client.requests_made + shopify.client.requests_made
    return records, requests, time.monotonic() - started


def bench_reconcile(argv: list[str]) -> None:
    from django.core.cache import cache

    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from connectors.shopify.client import CostModel
    from workflows import actions
    from workflows.reconcile import actions as reconcile
    from workflows.reconcile.models import ItemStatus
    from workflows.reconcile.reconciliation import do_reconcile

    parser = argparse.ArgumentParser(prog="manage.py bench reconcile")
    parser.add_argument("--skus", type=int, default=10000)
    parser.add_argument("--whiplash-rate", type=float, default=10.0, help="Whiplash requests/s (its limit: 10)")
    parser.add_argument("--restore-rate", type=float, default=1000.0,
                        help="Shopify cost points restored per second (Standard 100, Advanced 200, Plus 1000)")  # fmt: skip
    parser.add_argument("--bucket", type=float, default=10000.0, help="Shopify bucket size in points")
    options = parser.parse_args(argv)
    whiplash_cls, shopify_cls = get_connector("whiplash"), get_connector("shopify")
    organization = _organization()
    cache.clear()
    CostModel._shared.clear()
    with (
        SandboxServer(whiplash_cls.sandbox_app(records=options.skus, rate_limit=options.whiplash_rate)) as wl,
        SandboxServer(
            shopify_cls.sandbox_app(records=options.skus, bucket_size=options.bucket, restore_rate=options.restore_rate)
        ) as sh,
    ):
        source = _connect(organization, whiplash_cls, wl, requests_per_second=str(options.whiplash_rate))
        destination = _connect(organization, shopify_cls, sh)
        workflow = actions.create_from_blueprint(
            organization, "inventory-sync", source_connection=source, destination_connection=destination
        )
        edited = 0
        for index, item in enumerate(sh.app.items.values()):
            if index % 100 == 7:
                item["levels"]["gid://shopify/Location/1001"]["available"] += 5
                edited += 1
        print(
            f"Reconcile Whiplash → Shopify inventory, {options.skus} SKUs ({edited} edited in Shopify); "
            f"Whiplash limit {options.whiplash_rate:g} requests/s, Shopify {options.restore_rate:g} points/s "
            f"restored (bucket {options.bucket:g})"
        )
        raw_records, raw_requests, raw_seconds = _raw_reads(source, destination)
        CostModel._shared.clear()
        time.sleep(options.bucket / options.restore_rate)  # let the Shopify bucket refill between the rounds
        wl_before, sh_before = wl.app.request_count, sh.app.request_count
        throttled_before, limited_before = sh.app.counters["throttled"], wl.app.counters.get("rate_limited", 0)
        started = time.monotonic()
        with _PointsCounter() as points:
            report = reconcile.request_reconciliation(workflow)
            do_reconcile(report.pk)
        seconds = time.monotonic() - started
        report.refresh_from_db()
        wl_requests, sh_requests = wl.app.request_count - wl_before, sh.app.request_count - sh_before
        throttled = sh.app.counters["throttled"] - throttled_before
        limited = wl.app.counters.get("rate_limited", 0) - limited_before
    records = report.source_read + report.destination_read
    found = report.items.filter(status=ItemStatus.DRIFTED).count()
    print(f"baseline  bare reads: records={raw_records} requests={raw_requests} time={raw_seconds:.2f}s "
          f"records/s={raw_records / raw_seconds:.1f}")  # fmt: skip
    print(
        f"measured  status={report.status} source_records={report.source_read} destination_records="
        f"{report.destination_read} drifted_found={found}/{edited} time={seconds:.2f}s "
        f"records/s={records / seconds:.1f} SKUs/s={options.skus / seconds:.1f}"
    )
    cost_per_sku = points.points / options.skus
    print(
        f"reads     whiplash requests/SKU={wl_requests / options.skus:.4f} (limit {options.whiplash_rate:g}/s → floor "
        f"{options.skus / max(wl_requests, 1) * options.whiplash_rate:.0f} SKUs/s); shopify requests/SKU="
        f"{sh_requests / options.skus:.4f}, ≈{cost_per_sku:.1f} points/SKU (restore {options.restore_rate:g}/s → "
        f"floor {options.restore_rate / cost_per_sku:.0f} SKUs/s)"
    )
    print(f"limits    Shopify THROTTLED answers={throttled}, Whiplash 429 answers={limited} (paced by the clients)")
    print(f"ratio     {(records / seconds) / (raw_records / raw_seconds):.2f}x the bare reads' records/s")
    if report.error:
        print(f"error     {report.error[:300]}")


class _PointsCounter:
    """Sums the query cost Shopify reports (`extensions.cost.actualQueryCost`) on every answer."""

    def __init__(self):
        from connectors.shopify.client import CostModel

        self.cls, self.original, self.points = CostModel, CostModel.learn, 0.0

    def __enter__(self):
        counter = self

        def learn(model, operation, cost):
            counter.points += float((cost or {}).get("actualQueryCost") or 0)
            return counter.original(model, operation, cost)

        self.cls.learn = learn
        return self

    def __exit__(self, *exc):
        self.cls.learn = self.original


def bench_dry_run(argv: list[str]) -> None:
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer
    from workflows import actions, engine
    from workflows.models import Lineage, StreamCursor
    from workflows.reconcile import actions as reconcile
    from workflows.reconcile.dryrun import do_dry_run
    from workflows.reconcile.models import PlanAction

    parser = argparse.ArgumentParser(prog="manage.py bench dry_run")
    parser.add_argument("--shipments", type=int, default=2000)
    parser.add_argument("--whiplash-rate", type=float, default=10.0, help="Whiplash requests/s (0: unlimited)")
    options = parser.parse_args(argv)
    netsuite, whiplash = get_connector("netsuite"), get_connector("whiplash")
    organization = _organization()
    rate = options.whiplash_rate or 1_000_000.0
    with (
        SandboxServer(netsuite.sandbox_app(records=options.shipments)) as ns,
        SandboxServer(whiplash.sandbox_app(records=0, rate_limit=rate)) as wl,
    ):
        source = _connect(organization, netsuite, ns)
        destination = _connect(organization, whiplash, wl, requests_per_second=str(options.whiplash_rate))
        workflow = actions.create_from_blueprint(
            organization, "shipment-sync", source_connection=source, destination_connection=destination, page_size=200
        )
        print(f"Dry run of NetSuite → Shipment Sync → Whiplash on {options.shipments} shipments, "
              f"Whiplash rate {options.whiplash_rate or 'unlimited'}/s")  # fmt: skip
        requests_before = ns.app.request_count + wl.app.request_count
        started = time.monotonic()
        plan = reconcile.request_dry_run(workflow)
        plan = do_dry_run(plan.pk)
        plan_seconds = time.monotonic() - started
        plan_requests = ns.app.request_count + wl.app.request_count - requests_before
        orders_after_plan = len(wl.app.orders)
        cursor_moved = StreamCursor.objects.filter(workflow=workflow).exists()
        started = time.monotonic()
        run = actions.run_now(workflow)
        engine.execute_run(run.pk)
        run_seconds = time.monotonic() - started
        run.refresh_from_db()
        planned = {i.key: i for i in plan.items.all()}
        orders = {o["originator"]["original_id"]: o for o in wl.app.orders.values()}
    written = set(Lineage.objects.filter(workflow=workflow, run=run).values_list("source_key", flat=True))
    creates = {k for k, i in planned.items() if i.action == PlanAction.CREATE}
    same = sum(
        1
        for key in creates & written
        if orders.get(key, {}).get("shipping_city") == planned[key].payload.get("shipping_city")
        and sorted((i["sku"], i["quantity"]) for i in orders[key]["order_items"])
        == sorted((line["sku"], line["quantity"]) for line in planned[key].payload["order_items_attributes"])
    )
    print(
        f"baseline  real run: status={run.status} written={run.written_count} failed={run.failed_count} "
        f"time={run_seconds:.2f}s shipments/s={options.shipments / run_seconds:.1f}"
    )
    print(
        f"measured  dry run: status={plan.status} read={plan.read_count} pages={plan.pages} create={plan.create_count} "
        f"update={plan.update_count} unchanged={plan.unchanged_count} error={plan.error_count} "
        f"time={plan_seconds:.2f}s shipments/s={options.shipments / plan_seconds:.1f} "
        f"requests/shipment={plan_requests / options.shipments:.3f}"
    )
    print(
        f"checks    orders written by the dry run={orders_after_plan} cursor moved={'yes' if cursor_moved else 'no'} "
        f"planned creates written={len(creates & written)}/{len(creates)} written unplanned={len(written - creates)} "
        f"identical to the plan={same}/{len(creates)}"
    )
    print(f"ratio     dry run {run_seconds / plan_seconds:.2f}x faster than the real run")


BENCHMARKS = {
    "reconcile": (bench_reconcile, "Whiplash vs Shopify inventory reconciliation (--skus N): records/s, reads/record"),
    "dry_run": (bench_dry_run, "Dry run of the Shipment Sync, then the real run (--shipments N): 0 writes, same plan"),
}
