"""The workflows API: CRUD, triggers, runs with record errors, retries, lineage, roles and scoping."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from tests.workflows.conftest import make_connection
from workflows import engine
from workflows.models import RecordError, Run, Workflow


@pytest.mark.django_db
def test_create_update_and_delete_keep_the_beat_schedule_in_step(client_for, developer_a, org_a, source_sandbox):
    client = client_for(developer_a)
    source = make_connection(org_a, "src", source_sandbox.url)
    destination = make_connection(org_a, "dst", source_sandbox.url)
    body = {
        "name": "Items",
        "source_connection": source.pk,
        "source_stream": "items",
        "destination_connection": destination.pk,
        "destination_stream": "items",
        "standard": "inventory_level",
        "schedule_kind": "interval",
        "interval_seconds": 300,
    }
    response = client.post("/api/v1/workflows/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [n["key"] for n in data["nodes"]] == ["source", "sync", "destination"]
    assert [(e["source"], e["target"]) for e in data["edges"]] == [("source", "sync"), ("sync", "destination")]
    task = PeriodicTask.objects.get(name=f"workflow:{data['id']}")
    assert (task.task, task.args, task.interval.every, task.enabled) == (
        "workflows.scheduled_run",
        f"[{data['id']}]",
        300,
        False,
    )

    assert client.post(f"/api/v1/workflows/{data['id']}/resume/").json()["enabled"] is True
    task.refresh_from_db()
    assert task.enabled

    response = client.patch(
        f"/api/v1/workflows/{data['id']}/",
        {"schedule_kind": "cron", "cron": "*/15 6-20 * * 1-5", "timezone": "America/New_York"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert task.interval is None and task.crontab.minute == "*/15" and str(task.crontab.timezone) == "America/New_York"

    bad = client.patch(f"/api/v1/workflows/{data['id']}/", {"cron": "every day"}, format="json")
    assert bad.status_code == 400 and "cron" in bad.json()["error"]["fields"]

    assert client.post(f"/api/v1/workflows/{data['id']}/pause/").json()["enabled"] is False
    task.refresh_from_db()
    assert not task.enabled

    assert client.delete(f"/api/v1/workflows/{data['id']}/").status_code == 204
    assert not PeriodicTask.objects.filter(name=f"workflow:{data['id']}").exists()


@pytest.mark.django_db
def test_status_runs_record_errors_retry_and_lineage(client_for, developer_a, workflow, source_sandbox):
    client = client_for(developer_a)
    source_sandbox.app.items[1]["qty"] = "x"

    status = client.get(f"/api/v1/workflows/{workflow.pk}/status/").json()
    assert (status["state"], status["on"]) == ("on", True)

    response = client.post(f"/api/v1/workflows/{workflow.pk}/run/")
    assert response.status_code == 202
    engine.execute_run(response.json()["id"])

    runs = client.get(f"/api/v1/workflows/{workflow.pk}/runs/").json()["results"]
    assert runs[0]["status"] == "partial" and runs[0]["failed_count"] == 1
    detail = client.get(f"/api/v1/runs/{runs[0]['id']}/").json()
    error = detail["record_errors"][0]
    assert error["trace_key"] == "fakeshop:items:2" and error["source_payload"]["qty"] == "x"
    status = client.get(f"/api/v1/workflows/{workflow.pk}/status/").json()
    assert status["state"] == "degraded" and status["reason"] == "Last run partial: 1 record rejected."

    retry = client.post(
        f"/api/v1/record-errors/{error['id']}/retry/",
        {"edited_payload": {"id": "2", "sku": "SKU-00002", "qty": 2}},
        format="json",
    )
    assert retry.status_code == 202, retry.json()
    engine.execute_run(retry.json()["id"])
    assert client.get(f"/api/v1/record-errors/{error['id']}/").json()["status"] == "resolved"

    lineage = client.get("/api/v1/lineage/", {"q": "D2"}).json()["results"]
    assert [row["source_key"] for row in lineage] == ["fakeshop:items:2"]

    backfill = client.post(f"/api/v1/workflows/{workflow.pk}/backfill/", {"since": "2024-01-01"}, format="json")
    assert backfill.status_code == 202 and backfill.json()["trigger"] == "backfill"


@pytest.mark.django_db
def test_bulk_resolve_and_bulk_retry(client_for, developer_a, workflow, source_sandbox):
    client = client_for(developer_a)
    for index in (0, 1, 2):
        source_sandbox.app.items[index]["qty"] = "bad"
    run = Run.objects.get(pk=client.post(f"/api/v1/workflows/{workflow.pk}/run/").json()["id"])
    engine.execute_run(run.pk)
    ids = list(RecordError.objects.filter(workflow=workflow).values_list("pk", flat=True))
    assert len(ids) == 3

    retry = client.post("/api/v1/record-errors/retry/", {"ids": ids[:2]}, format="json")
    assert retry.status_code == 202 and sorted(retry.json()["params"]["record_error_ids"]) == sorted(ids[:2])

    resolved = client.post("/api/v1/record-errors/resolve/", {"ids": ids}, format="json")
    assert resolved.json() == {"resolved": 3}
    assert set(RecordError.objects.values_list("resolution", flat=True)) == {"manual"}


@pytest.mark.django_db
def test_viewers_cannot_trigger_and_other_organizations_see_nothing(client_for, viewer_a, owner_b, workflow):
    viewer = client_for(viewer_a)
    assert viewer.get(f"/api/v1/workflows/{workflow.pk}/").status_code == 200
    assert viewer.post(f"/api/v1/workflows/{workflow.pk}/run/").status_code == 403

    outsider = client_for(owner_b)
    assert outsider.get("/api/v1/workflows/").json()["results"] == []
    for url in (f"/api/v1/workflows/{workflow.pk}/", f"/api/v1/workflows/{workflow.pk}/status/"):
        assert outsider.get(url).status_code == 404
    assert outsider.post(f"/api/v1/workflows/{workflow.pk}/run/").status_code == 404
    assert Workflow.objects.filter(pk=workflow.pk).exists()


@pytest.mark.django_db
def test_connections_of_another_organization_are_rejected(client_for, owner_b, org_a, source_sandbox):
    foreign = make_connection(org_a, "theirs", source_sandbox.url)
    response = client_for(owner_b).post(
        "/api/v1/workflows/",
        {
            "name": "x",
            "source_connection": foreign.pk,
            "source_stream": "items",
            "destination_stream": "items",
            "standard": "product",
        },
        format="json",
    )
    assert response.status_code == 400 and "source_connection" in response.json()["error"]["fields"]
