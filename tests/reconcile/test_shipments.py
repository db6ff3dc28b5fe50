"""The Shipment Sync (NetSuite → Whiplash): dry-run plans, applying them, and order reconciliation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ekyam.events.models import OutboxEvent
from workflows import engine
from workflows.models import Lineage, StreamCursor
from workflows.reconcile import actions as reconcile
from workflows.reconcile.dryrun import do_dry_run
from workflows.reconcile.models import ApplyStatus, ItemStatus, JobStatus, PlanAction
from workflows.reconcile.reconciliation import do_reconcile

from .conftest import execute, finished

pytestmark = pytest.mark.django_db


def dry_run(workflow, **options):
    return finished(reconcile.request_dry_run(workflow, **options), do_dry_run)


def test_a_dry_run_writes_nothing_moves_no_cursor_and_matches_the_next_real_run(shipment_flow):
    workflow, _ns, wl = shipment_flow
    workflow.page_size = 20
    workflow.save(update_fields=["page_size"])
    orders_before = len(wl.app.orders)

    plan = dry_run(workflow)

    assert len(wl.app.orders) == orders_before  # 0 orders written
    assert not StreamCursor.objects.filter(workflow=workflow).exists()
    assert plan.read_count == 60 and plan.pages >= 3  # every page, not just the first
    planned = {item.key: item for item in plan.items.all()}
    assert len(planned) == 60
    creates = {k for k, item in planned.items() if item.action == PlanAction.CREATE}
    errors = {k for k, item in planned.items() if item.action == PlanAction.ERROR}
    assert creates and creates | errors == set(planned)
    assert all(item.message for item in planned.values() if item.action == PlanAction.ERROR)

    run = execute(workflow)

    written = {row.source_key: row for row in Lineage.objects.filter(workflow=workflow)}
    assert set(written) == creates  # record for record
    assert set(run.record_errors.values_list("trace_key", flat=True)) == errors
    orders = {o["originator"]["original_id"]: o for o in wl.app.orders.values()}
    for key in creates:
        payload = planned[key].payload
        order = orders[key]
        assert order["shipping_city"] == payload["shipping_city"]
        assert sorted((i["sku"], i["quantity"]) for i in order["order_items"]) == sorted(
            (line["sku"], line["quantity"]) for line in payload["order_items_attributes"]
        )

    replan = dry_run(workflow, since="2000-01-01")
    assert {i.key for i in replan.items.filter(action=PlanAction.UNCHANGED)} == creates


def test_applying_a_plan_writes_exactly_the_planned_records_and_refuses_changed_ones(shipment_flow):
    workflow, ns, wl = shipment_flow
    first = execute(workflow)
    rows = list(Lineage.objects.filter(workflow=workflow).order_by("pk")[:3])
    keys = [row.source_key for row in rows]
    orders = {o["originator"]["original_id"]: o for o in wl.app.orders.values()}
    for row in rows:  # the shipments move in NetSuite: the plan updates their orders
        ns.app.data.upsert("itemFulfillment", row.source_id, {"shippingAddress": {"city": "Elsewhere"}}, timezone.now())
    plan = dry_run(workflow)
    updates = {i.key: i for i in plan.items.filter(action=PlanAction.UPDATE)}
    assert set(updates) == set(keys) and plan.read_count == 3  # from the cursor: only what changed
    for key, item in updates.items():
        assert item.diff == {"shipping_city": [orders[key]["shipping_city"], "Elsewhere"]}
    cities = {key: orders[key]["shipping_city"] for key in keys}
    orders[keys[0]]["shipping_name"] = "Someone Else"  # changed in Whiplash after the plan was made

    run = reconcile.apply_plan(plan)
    engine.execute_run(run.pk)
    run.refresh_from_db()

    assert (run.read_count, run.written_count, run.failed_count) == (3, 2, 1)
    assert orders[keys[0]]["shipping_city"] == cities[keys[0]]  # refused: not overwritten
    assert orders[keys[0]]["shipping_name"] == "Someone Else"
    for key in keys[1:]:
        assert orders[key]["shipping_city"] == "Elsewhere"
    refused = plan.items.get(key=keys[0])
    assert refused.apply_status == ApplyStatus.REFUSED
    assert len(wl.app.orders) == first.written_count  # nothing else was written


def test_orders_reconciliation_finds_shipments_missing_on_either_side(shipment_flow):
    workflow, _ns, wl = shipment_flow
    execute(workflow)
    rows = list(Lineage.objects.filter(workflow=workflow).order_by("pk"))
    orders = {o["originator"]["original_id"]: o for o in wl.app.orders.values()}
    # One order deleted in Whiplash, one changed there, and one order whose shipment NetSuite lacks.
    del wl.app.orders[int(rows[0].destination_id)]
    orders[rows[1].source_key]["shipping_zip"] = "00000"
    stray = dict(orders[rows[2].source_key], id=999999, originator={"original_id": "netsuite:shipments:424242"})
    wl.app.orders[999999] = stray

    report = reconcile.request_reconciliation(workflow)
    do_reconcile(report.pk)
    report.refresh_from_db()

    assert report.status == JobStatus.SUCCEEDED, report.error
    assert report.items.get(status=ItemStatus.MISSING_IN_DESTINATION, key=rows[0].source_key)
    drifted = report.items.get(status=ItemStatus.DRIFTED)
    assert drifted.key == rows[1].source_key and drifted.diff["shipping_zip"][0] == "00000"
    missing = report.items.get(status=ItemStatus.MISSING_IN_SOURCE)
    assert (missing.key, missing.destination_id) == ("netsuite:shipments:424242", "999999")
    assert report.totals["by_status"][ItemStatus.IN_SYNC] == len(rows) - 2

    run = reconcile.apply_report(report)
    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert (run.written_count, run.failed_count) == (1, 0), run.error_summary
    fixed = next(o for o in wl.app.orders.values() if o["originator"]["original_id"] == rows[1].source_key)
    assert fixed["shipping_zip"] == drifted.diff["shipping_zip"][1]
    event = OutboxEvent.objects.get(type="shipment.reconciled")
    assert (event.payload["source_key"], event.payload["reconciliation_id"]) == (rows[1].source_key, report.pk)
