"""A reconciliation reads within the vendors' limits (Whiplash's requests per second, Shopify's cost
bucket), paced by the clients rather than refused, and the request count it shows is what the vendors
received; its progress is committed page by page, so another process (the page's poll) sees it."""

from __future__ import annotations

import threading

import pytest

from connectors.shopify.client import CostModel
from workflows.reconcile import actions as reconcile
from workflows.reconcile import reconciliation
from workflows.reconcile.models import ItemStatus, JobStatus, Reconciliation

from .conftest import MAIN, knobs


def _tighten(workflow, wl, sh, *, whiplash_rate: float, bucket: float, restore: float) -> None:
    source = workflow.node("source").connection
    source.set_credentials({**source.get_credentials(), "requests_per_second": str(whiplash_rate)})
    source.save()
    knobs(wl, rate_limit=whiplash_rate)
    knobs(sh, bucket_size=bucket, restore_rate=restore)
    CostModel._shared.clear()  # what the sync taught the client about costs: the reconcile starts cold


@pytest.mark.django_db
def test_a_reconcile_under_tight_limits_is_paced_not_refused_and_counts_its_requests(inventory_flow):
    workflow, wl, sh = inventory_flow
    _tighten(workflow, wl, sh, whiplash_rate=4, bucket=1000, restore=500)
    sku = list(sh.app.items.values())[2]["sku"]
    knobs(sh, set_available={"sku": sku, "location": MAIN, "available": 0})
    workflow.page_size = 5
    workflow.save(update_fields=["page_size"])
    reconciliation.PAGE_SIZE, page_size = 3, reconciliation.PAGE_SIZE
    wl_before, sh_before = wl.app.request_count, sh.app.request_count
    throttled_before, limited_before = sh.app.counters["throttled"], wl.app.counters.get("rate_limited", 0)
    try:
        report = reconcile.request_reconciliation(workflow)
        reconciliation.do_reconcile(report.pk)
    finally:
        reconciliation.PAGE_SIZE = page_size
    report.refresh_from_db()

    assert report.status == JobStatus.SUCCEEDED, report.error
    assert [i.label.split(" @ ")[0] for i in report.items.filter(status=ItemStatus.DRIFTED)] == [sku]
    assert sh.app.counters["throttled"] == throttled_before  # waited for the bucket instead
    assert wl.app.counters.get("rate_limited", 0) == limited_before  # paced below the limit
    received = (wl.app.request_count - wl_before) + (sh.app.request_count - sh_before)
    assert report.requests_count == received > 4


def _seen_from_another_connection(client, report_id: int) -> dict:
    """What the page's poll sees while the worker is mid-run: another thread has its own connection, so
    it sees only what the worker committed."""
    from django.db import connection

    seen: dict = {}

    def look():
        try:
            row = Reconciliation.objects.get(pk=report_id)
            seen.update(phase=row.phase, source_read=row.source_read, destination_read=row.destination_read,
                        requests=row.requests_count, status=row.status)  # fmt: skip
            seen["api"] = client.get(f"/api/v1/reconciliations/{report_id}/").json()
            seen["page"] = client.get(f"/workflows/{row.workflow_id}/reconciliations/{report_id}/").content
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen


@pytest.mark.django_db(transaction=True)
def test_progress_is_committed_page_by_page_and_shown_while_a_reconcile_runs(
    inventory_flow, developer_a, client_for, monkeypatch
):
    workflow, _wl, _sh = inventory_flow
    client = client_for(developer_a)
    monkeypatch.setattr(reconciliation, "PAGE_SIZE", 4)
    report = reconcile.request_reconciliation(workflow)
    compare, snapshots = reconciliation.Reconciler._compare, []

    def compare_and_look(self, records):
        snapshots.append(_seen_from_another_connection(client, report.pk))
        return compare(self, records)

    monkeypatch.setattr(reconciliation.Reconciler, "_compare", compare_and_look)
    reconciliation.do_reconcile(report.pk)

    assert len(snapshots) >= 3  # 12 SKUs, 4 a page
    first, later = snapshots[0], snapshots[1]
    assert first["status"] == JobStatus.RUNNING and first["phase"] == "reading the source"
    assert first["destination_read"] > 0 and first["requests"] > 0 and first["source_read"] == 0
    assert later["source_read"] > first["source_read"] and later["api"]["source_read"] == later["source_read"]
    assert b'data-running="1"' in later["page"]
    assert b'<span data-field="phase" data-empty="waiting for a worker">reading the source</span>' in later["page"]
    assert f'<span data-field="source_read">{later["source_read"]}</span>'.encode() in later["page"]
    report.refresh_from_db()
    assert report.status == JobStatus.SUCCEEDED and report.source_read == 12 > later["source_read"]
