"""Outcomes explained: every record of a run is written, updated, unchanged or failed, with the reason, on the
run page, the lineage page, the live snapshot and the API (fake vendor and the real Whiplash sandbox)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.workflows.test_live_status import pushed_during_a_run
from tests.workflows.test_seed_flows import execute, shipment_sync_fixture
from workflows.models import Lineage, OutcomeKind, RecordOutcome, Run, RunStatus, Trigger
from workflows.status import snapshot


def outcomes_of(run: Run) -> dict[str, tuple[str, str]]:
    return {r.source_key: (r.outcome, r.reason) for r in RecordOutcome.objects.filter(run=run)}


@pytest.mark.django_db
def test_every_record_gets_an_outcome_with_its_reason(workflow, source_sandbox):
    source_sandbox.app.items[2]["qty"] = "three"

    first = execute(workflow)

    seen = outcomes_of(first)
    assert len(seen) == 25
    assert seen["fakeshop:items:7"] == (OutcomeKind.WRITTEN, "created in FakeShop — item #D7")
    kind, reason = seen["fakeshop:items:3"]
    assert kind == OutcomeKind.FAILED and reason.startswith("failed at read mapping: ") and "qty" in reason
    assert (first.written_count, first.updated_count, first.failed_count) == (24, 0, 1)

    source_sandbox.app.items[6]["qty"] = 70  # one record changes; the others are what was written before
    again = execute(workflow, Trigger.BACKFILL, {"since": "2020-01-01"})

    seen = outcomes_of(again)
    assert seen["fakeshop:items:7"] == (OutcomeKind.UPDATED, "updated in FakeShop — item #D7")
    assert seen["fakeshop:items:8"] == (
        OutcomeKind.UNCHANGED,
        "already in FakeShop with the same content — item #D8",
    )
    counts = {kind: sum(1 for k, _ in seen.values() if k == kind) for kind in OutcomeKind.values}
    assert counts == {"written": 0, "updated": 1, "unchanged": 23, "failed": 1}
    assert (again.written_count, again.updated_count, again.skipped_count, again.failed_count) == (1, 1, 23, 1)
    assert all(reason for _kind, reason in seen.values())  # nothing without a reason


whiplash_flow = shipment_sync_fixture(records=6)


@pytest.mark.django_db
def test_whiplash_orders_say_which_order_already_has_the_content(whiplash_flow):
    workflow, _ns, wl = whiplash_flow
    first = execute(workflow)
    assert first.status == RunStatus.SUCCEEDED, first.error_summary
    lineage = Lineage.objects.filter(workflow=workflow).order_by("pk").first()
    order = lineage.destination_id
    assert outcomes_of(first)[lineage.source_key] == (OutcomeKind.WRITTEN, f"created in Whiplash — order #{order}")

    again = execute(workflow, Trigger.BACKFILL, {"since": "2000-01-01"})
    assert outcomes_of(again)[lineage.source_key] == (
        OutcomeKind.UNCHANGED,
        f"already in Whiplash with the same content — order #{order}",
    )

    # Without Ekyam's ledger, Whiplash itself is asked and answers that the order is the same.
    Lineage.objects.filter(workflow=workflow).delete()
    third = execute(workflow, Trigger.BACKFILL, {"since": "2000-01-01"})
    assert outcomes_of(third)[lineage.source_key] == (
        OutcomeKind.UNCHANGED,
        f"Whiplash already has the same content — order #{order}",
    )
    assert third.skipped_count == third.read_count and third.written_count == 0
    assert len(wl.app.orders) == first.written_count


@pytest.mark.django_db
def test_run_page_lists_outcomes_linked_to_lineage(owner_a, owner_b, workflow, source_sandbox):
    source_sandbox.app.items[2]["qty"] = "three"
    run = execute(workflow)
    lineage = Lineage.objects.get(workflow=workflow, source_key="fakeshop:items:7")
    client = Client()
    client.force_login(owner_a)

    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "What happened to each record" in page and "Skipped" not in page
    assert f'href="/lineage/{lineage.pk}/"' in page and "created in FakeShop — item #D7" in page
    assert 'data-count="written">24<' in page and 'data-count="failed">1<' in page

    failed = client.get(f"/runs/{run.pk}/?outcome=failed").content.decode()
    assert failed.count('data-outcome="failed"') == 1 and 'data-outcome="written"' not in failed
    assert "failed at read mapping" in failed
    assert client.get(f"/runs/{run.pk}/?outcome=skipped").status_code == 404

    history = client.get(f"/lineage/{lineage.pk}/").content.decode()
    assert "fakeshop:items:7" in history and f'href="/runs/{run.pk}/"' in history
    assert "created in FakeShop — item #D7" in history

    outsider = Client()
    outsider.force_login(owner_b)
    assert outsider.get(f"/lineage/{lineage.pk}/").status_code == 404
    assert outsider.get(f"/runs/{run.pk}/").status_code == 404


@pytest.mark.django_db
def test_outcomes_api_filters_and_refuses_unknown_outcomes(owner_a, owner_b, workflow, source_sandbox):
    source_sandbox.app.items[0]["qty"] = "?"
    run = execute(workflow)
    client = Client()
    client.force_login(owner_a)

    body = client.get(f"/api/v1/runs/{run.pk}/outcomes/?outcome=failed").json()
    assert [r["source_key"] for r in body["results"]] == ["fakeshop:items:1"]
    assert body["results"][0]["reason"].startswith("failed at read mapping")
    everything = client.get(f"/api/v1/runs/{run.pk}/outcomes/?page_size=100").json()["results"]
    assert len(everything) == 25

    bad = client.get(f"/api/v1/runs/{run.pk}/outcomes/?outcome=skipped")
    assert bad.status_code == 400 and "outcome" in bad.content.decode()

    outsider = Client()
    outsider.force_login(owner_b)
    assert outsider.get(f"/api/v1/runs/{run.pk}/outcomes/").status_code == 404


@pytest.mark.django_db
def test_snapshot_carries_the_latest_outcomes_with_lineage(workflow):
    assert snapshot(workflow)["outcomes"] is None
    run = execute(workflow)

    data = snapshot(workflow)

    assert data["outcomes"]["run_id"] == run.pk and len(data["outcomes"]["records"]) == 10
    newest = data["outcomes"]["records"][0]
    assert newest["outcome"] == "written" and newest["reason"].startswith("created in FakeShop")
    assert newest["lineage_id"] == Lineage.objects.get(workflow=workflow, source_key=newest["source_key"]).pk
    summary = data["recent_runs"][0]
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["failed"]) == (25, 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_outcomes_are_pushed_live_after_each_batch(owner_a, workflow):
    run_id, seen = pushed_during_a_run(owner_a, workflow)
    pushed = [data["outcomes"] for data in seen if data["outcomes"]]
    with_records = [p for p in pushed if p["records"]]
    assert with_records and all(p["run_id"] == run_id for p in with_records)
    assert with_records[-1]["records"][0]["source_key"] == "fakeshop:items:25"
