"""Inventory reconciliation against the Whiplash and Shopify sandboxes over real HTTP."""

from __future__ import annotations

import pytest

from ekyam.alerts.models import Alert
from ekyam.events.models import OutboxEvent
from workflows.models import Lineage, Run, RunStatus
from workflows.reconcile import actions as reconcile
from workflows.reconcile.models import ApplyStatus, ItemStatus, JobStatus, Reconciliation
from workflows.reconcile.reconciliation import do_reconcile

from .conftest import MAIN, POPUP, finished, knobs

pytestmark = pytest.mark.django_db


def reconcile_now(workflow, **options) -> Reconciliation:
    return finished(reconcile.request_reconciliation(workflow, **options), do_reconcile)


def test_injected_drift_is_reported_with_the_right_values_and_corrected_by_apply(inventory_flow):
    workflow, wl, sh = inventory_flow
    items = list(sh.app.items.values())
    drifted = {items[1]["sku"]: 3, items[4]["sku"]: 1000}
    truth = {}
    for sku, value in drifted.items():
        truth[sku] = sh.app.item_by_sku(sku)["levels"][MAIN]["available"]
        knobs(sh, set_available={"sku": sku, "location": MAIN, "available": value})

    report = reconcile_now(workflow)

    by_status = report.totals["by_status"]
    assert by_status[ItemStatus.DRIFTED] == 2 and report.drifted_count == 2
    assert by_status[ItemStatus.IN_SYNC] == len(items) - 2
    # Pop-up Store levels: no Whiplash warehouse maps there.
    assert by_status[ItemStatus.UNMAPPED] == sum(1 for i in items if POPUP in i["levels"])
    rows = {row.label.split(" @ ")[0]: row for row in report.items.filter(status=ItemStatus.DRIFTED)}
    assert set(rows) == set(drifted)
    for sku, value in drifted.items():
        row = rows[sku]
        assert (row.source_value, row.destination_value, row.units) == (truth[sku], value, value - truth[sku])
        assert row.label == f"{sku} @ Main Warehouse"
        lineage = Lineage.objects.get(workflow=workflow, source_key=row.key)
        assert (row.last_run_id, row.last_written_at) == (lineage.run_id, lineage.updated_at)
    assert report.net_units == sum(v - truth[s] for s, v in drifted.items())
    assert report.absolute_units == sum(abs(v - truth[s]) for s, v in drifted.items())

    run = reconcile.apply_report(report)
    from workflows import engine

    engine.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_summary
    assert run.written_count == 2
    for sku in drifted:
        assert sh.app.item_by_sku(sku)["levels"][MAIN]["available"] == truth[sku]
    assert set(report.items.filter(status=ItemStatus.DRIFTED).values_list("apply_status", flat=True)) == {
        ApplyStatus.APPLIED
    }
    events = OutboxEvent.objects.filter(type="inventory.reconciled")
    assert sorted(e.payload["label"] for e in events) == sorted(f"{s} @ Main Warehouse" for s in drifted)
    assert Lineage.objects.filter(workflow=workflow, run=run).count() == 2
    again = reconcile_now(workflow)
    assert again.drifted_count == 0


def test_a_concurrent_change_between_report_and_apply_is_not_overwritten(inventory_flow):
    workflow, _wl, sh = inventory_flow
    items = list(sh.app.items.values())
    first, second = items[2]["sku"], items[3]["sku"]
    truth_second = sh.app.item_by_sku(second)["levels"][MAIN]["available"]
    for sku in (first, second):
        knobs(sh, set_available={"sku": sku, "location": MAIN, "available": 5})
    report = reconcile_now(workflow)
    assert report.drifted_count == 2

    knobs(sh, set_available={"sku": first, "location": MAIN, "available": 77})  # someone edits after the report
    run = reconcile.apply_report(report)
    from workflows import engine

    engine.execute_run(run.pk)
    run.refresh_from_db()

    assert sh.app.item_by_sku(first)["levels"][MAIN]["available"] == 77  # not overwritten
    assert sh.app.item_by_sku(second)["levels"][MAIN]["available"] == truth_second
    assert (run.written_count, run.failed_count, run.status) == (1, 1, RunStatus.PARTIAL)
    refused = report.items.get(status=ItemStatus.DRIFTED, label__startswith=first)
    assert refused.apply_status == ApplyStatus.REFUSED and "changed since it was read" in refused.apply_message
    error = run.record_errors.get()
    assert error.trace_key == refused.key and error.error_class == "conflict"


def test_drift_above_a_threshold_raises_one_alert_and_apply_true_corrects_at_once(inventory_flow):
    workflow, _wl, sh = inventory_flow
    reconcile.update_settings(workflow, drift_count_threshold=0, drift_units_threshold=1000)
    sku = list(sh.app.items.values())[5]["sku"]
    truth = sh.app.item_by_sku(sku)["levels"][MAIN]["available"]
    knobs(sh, set_available={"sku": sku, "location": MAIN, "available": truth + 4})

    report = reconcile_now(workflow, apply=True)

    assert report.alerted
    alert = Alert.objects.get(kind="reconciliation_drift")
    assert "1 records drifted (threshold 0)" in alert.reason and "units" not in alert.reason
    assert report.apply_run is not None and report.apply_run.status == RunStatus.QUEUED
    from workflows import engine

    engine.execute_run(report.apply_run_id)
    assert sh.app.item_by_sku(sku)["levels"][MAIN]["available"] == truth


def test_a_source_record_missing_in_shopify_is_reported(inventory_flow):
    workflow, wl, sh = inventory_flow
    gone = list(sh.app.items.values())[0]["sku"]
    knobs(sh, delete_sku=gone)
    report = reconcile_now(workflow)
    missing = report.items.get(status=ItemStatus.MISSING_IN_DESTINATION)
    assert missing.label.startswith(gone) and "no inventory item" in missing.message
    assert Run.objects.filter(workflow=workflow).count() == 1  # reading wrote nothing


def test_a_dry_run_of_the_inventory_sync_plans_quantity_updates_through_the_compare_and_set_reads(inventory_flow):
    from workflows.models import StreamCursor
    from workflows.reconcile.dryrun import do_dry_run
    from workflows.reconcile.models import PlanAction

    workflow, wl, sh = inventory_flow
    cursor = StreamCursor.objects.get(workflow=workflow).cursor
    item = list(wl.app.items.values())[2]
    shopify_before = sh.app.item_by_sku(item["sku"])["levels"][MAIN]["available"]
    item["quantity"] += 9
    if "sellable_quantity" in item:
        item["sellable_quantity"] += 9
    item["updated_at"] = "2030-01-01T00:00:00Z"

    plan = reconcile.request_dry_run(workflow)
    do_dry_run(plan.pk)
    plan.refresh_from_db()

    assert plan.status == JobStatus.SUCCEEDED, plan.error
    update = plan.items.get(action=PlanAction.UPDATE)
    assert update.diff == {"quantity": [shopify_before, shopify_before + 9]} and update.state == shopify_before
    assert sh.app.item_by_sku(item["sku"])["levels"][MAIN]["available"] == shopify_before  # nothing written
    assert StreamCursor.objects.get(workflow=workflow).cursor == cursor
