"""The reconciliation and dry-run API and pages: scoping, roles, errors, downloads, schedule, progress."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django_celery_beat.models import PeriodicTask

from workflows import engine
from workflows.reconcile import actions as reconcile
from workflows.reconcile.dryrun import do_dry_run
from workflows.reconcile.models import JobStatus, Plan, Reconciliation
from workflows.reconcile.reconciliation import do_reconcile

from .conftest import MAIN, knobs

pytestmark = pytest.mark.django_db


def test_reconcile_over_the_api_report_items_and_apply(inventory_flow, developer_a, client_for,
                                                       django_capture_on_commit_callbacks, monkeypatch):  # fmt: skip
    workflow, _wl, sh = inventory_flow
    sku = list(sh.app.items.values())[1]["sku"]
    knobs(sh, set_available={"sku": sku, "location": MAIN, "available": 0})
    queued = []
    monkeypatch.setattr("workflows.reconcile.tasks.run_reconciliation.delay", queued.append)
    api = client_for(developer_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/workflows/{workflow.pk}/reconcile/", {"apply": False}, format="json")

    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    assert queued == [report_id] and response.json()["status"] == "queued"
    do_reconcile(report_id)
    body = api.get(f"/api/v1/reconciliations/{report_id}/").json()
    assert (body["status"], body["drifted_count"], body["phase"]) == ("succeeded", 1, "")
    assert body["destination_read"] > 0 and body["source_read"] > 0 and body["requests_count"] > 0
    items = api.get(f"/api/v1/reconciliations/{report_id}/items/?status=drifted").json()["results"]
    assert [i["label"] for i in items] == [f"{sku} @ Main Warehouse"] and items[0]["destination_value"] == 0
    types = {t["type"] for t in api.get("/api/v1/event-types/").json()}
    assert {"inventory.reconciled", "shipment.reconciled"} <= types
    listed = api.get(f"/api/v1/reconciliations/?workflow={workflow.pk}").json()["results"]
    assert [r["id"] for r in listed] == [report_id]

    applied = api.post(f"/api/v1/reconciliations/{report_id}/apply/")
    assert applied.status_code == 202 and applied.json()["trigger"] == "reconcile"
    engine.execute_run(applied.json()["id"])
    assert sh.app.item_by_sku(sku)["levels"][MAIN]["available"] > 0
    again = api.post(f"/api/v1/reconciliations/{report_id}/apply/")
    assert again.json()["id"] == applied.json()["id"]  # applying twice queues nothing new


def test_roles_scope_and_bad_input(inventory_flow, viewer_a, owner_b, developer_a, client_for):
    workflow, _wl, _sh = inventory_flow
    viewer = client_for(viewer_a).post(f"/api/v1/workflows/{workflow.pk}/reconcile/", {}, format="json")
    assert viewer.status_code == 403
    stranger = client_for(owner_b).post(f"/api/v1/workflows/{workflow.pk}/dry-run/", {}, format="json")
    assert stranger.status_code == 404
    bad = client_for(developer_a).post(f"/api/v1/workflows/{workflow.pk}/dry-run/", {"since": "soon"}, format="json")
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
    assert not Plan.objects.exists()
    report = reconcile.request_reconciliation(workflow)
    assert client_for(owner_b).get(f"/api/v1/reconciliations/{report.pk}/").status_code == 404
    unfinished = client_for(developer_a).post(f"/api/v1/reconciliations/{report.pk}/apply/")
    assert unfinished.status_code == 400 and "finished" in unfinished.json()["error"]["message"]


def test_settings_schedule_is_off_by_default_and_a_beat_row_when_on(inventory_flow, developer_a, client_for):
    workflow, _wl, _sh = inventory_flow
    api = client_for(developer_a)
    url = f"/api/v1/workflows/{workflow.pk}/reconcile-settings/"
    assert api.get(url).json()["schedule_enabled"] is False
    assert not PeriodicTask.objects.filter(name=f"reconcile:{workflow.pk}").exists()
    too_often = api.patch(url, {"schedule_enabled": True, "interval_seconds": 60}, format="json")
    assert too_often.status_code == 400
    on = api.patch(
        url, {"schedule_enabled": True, "interval_seconds": 3600, "drift_units_threshold": 50}, format="json"
    )
    assert on.status_code == 200 and on.json()["drift_units_threshold"] == 50
    task = PeriodicTask.objects.get(name=f"reconcile:{workflow.pk}")
    assert (task.task, json.loads(task.args), task.interval.every) == (
        "reconcile.scheduled_reconciliation",
        [workflow.pk],
        3600,
    )

    report = reconcile.scheduled_reconciliation(workflow.pk)
    assert report.trigger == "schedule" and report.status == JobStatus.QUEUED
    assert reconcile.scheduled_reconciliation(workflow.pk) is None  # one at a time

    api.patch(url, {"schedule_enabled": False}, format="json")
    assert not PeriodicTask.objects.filter(name=f"reconcile:{workflow.pk}").exists()


def test_a_plan_downloads_as_json_and_csv_and_its_pages_render(shipment_flow, developer_a, client_for):
    workflow, _ns, _wl = shipment_flow
    api = client_for(developer_a)
    response = api.post(f"/api/v1/workflows/{workflow.pk}/dry-run/", {}, format="json")
    assert response.status_code == 202
    plan = do_dry_run(response.json()["id"])
    assert plan.status == JobStatus.SUCCEEDED

    as_json = api.get(f"/api/v1/plans/{plan.pk}/download/?as=json")
    document = json.loads(b"".join(as_json.streaming_content))
    assert document["counts"]["read"] == 60 and len(document["items"]) == 60
    assert {i["action"] for i in document["items"]} <= {"create", "error"}
    as_csv = api.get(f"/api/v1/plans/{plan.pk}/download/?as=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    assert [r["key"] for r in rows] == [i["key"] for i in document["items"]]
    assert api.get(f"/api/v1/plans/{plan.pk}/download/?as=xml").status_code == 400

    page = api.get(f"/workflows/{workflow.pk}/plans/{plan.pk}/")
    assert page.status_code == 200 and b"Apply this plan" in page.content and b"Download CSV" in page.content
    assert b"Dry run" in api.get(f"/workflows/{workflow.pk}/").content
    started = api.post(f"/workflows/{workflow.pk}/plans/new/", {"since": ""})
    assert started.status_code == 302 and Plan.objects.count() == 2


def test_report_pages_show_progress_while_running_and_totals_after(inventory_flow, developer_a, client_for):
    workflow, _wl, sh = inventory_flow
    api = client_for(developer_a)
    started = api.post(f"/workflows/{workflow.pk}/reconciliations/new/", {"apply": ""})
    report = Reconciliation.objects.get()
    assert started.status_code == 302 and started["Location"].endswith(f"/reconciliations/{report.pk}/")
    waiting = api.get(started["Location"])
    assert b'data-running="1"' in waiting.content and b"waiting for a worker" in waiting.content
    knobs(sh, set_available={"sku": list(sh.app.items.values())[0]["sku"], "location": MAIN, "available": 1})
    do_reconcile(report.pk)
    done = api.get(started["Location"])
    assert b"1 drifted" in done.content and b"Apply corrections (1)" in done.content
    assert b"Reconcile now" in api.get(f"/workflows/{workflow.pk}/reconciliations/").content


def test_a_report_or_plan_whose_worker_stopped_is_failed_not_left_running(inventory_flow):
    from datetime import timedelta

    from django.utils import timezone

    from workflows.reconcile.reconciliation import claim

    workflow, _wl, _sh = inventory_flow
    report = reconcile.request_reconciliation(workflow)
    claim(report.pk)
    assert reconcile.fail_stale_jobs() == 0
    assert reconcile.fail_stale_jobs(now=timezone.now() + timedelta(hours=1)) == 1
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED and "stopped making progress" in report.error
    do_reconcile(report.pk)  # a late duplicate delivery of the task does nothing
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED
