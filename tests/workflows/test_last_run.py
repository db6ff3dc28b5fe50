"""`last_run` on the workflows API: the latest run's summary, without a query per workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflows.models import Run, RunStatus, Trigger


def add_run(workflow, status=RunStatus.SUCCEEDED, trigger=Trigger.MANUAL, **counts) -> Run:
    started = timezone.now() - timedelta(minutes=5)
    finished = started + timedelta(seconds=30) if status != RunStatus.RUNNING else None
    return Run.objects.create(
        organization=workflow.organization, workflow=workflow, trigger=trigger, status=status,
        started_at=started, finished_at=finished, **counts,
    )  # fmt: skip


def list_queries(client) -> tuple[list[dict], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/workflows/")
    assert response.status_code == 200, response.content
    return response.json()["results"], len(queries)


@pytest.mark.django_db
def test_list_and_detail_carry_the_latest_runs_summary(client_for, viewer_a, org_a, org_b, make_workflow):
    client = client_for(viewer_a)
    never_ran = make_workflow(org_a, name="Never ran")
    ran = make_workflow(org_a, name="Ran")
    add_run(ran, RunStatus.FAILED, read_count=9)
    latest = add_run(ran, RunStatus.PARTIAL, Trigger.BACKFILL, read_count=10, mapped_count=9, written_count=7,
                     skipped_count=1, failed_count=2)  # fmt: skip
    other = make_workflow(org_b, name="Other organization")
    add_run(other, RunStatus.RUNNING)  # newer than `latest`, but another organization's workflow

    results, _ = list_queries(client)
    by_name = {w["name"]: w for w in results}
    assert set(by_name) == {"Never ran", "Ran"}
    assert by_name["Never ran"]["last_run"] is None
    expected = {
        "id": latest.pk,
        "status": "partial",
        "trigger": "backfill",
        "started_at": latest.started_at.isoformat().replace("+00:00", "Z"),
        "finished_at": latest.finished_at.isoformat().replace("+00:00", "Z"),
        "counts": {"read": 10, "mapped": 9, "written": 7, "updated": 0, "unchanged": 1, "skipped": 1, "failed": 2},
    }
    assert by_name["Ran"]["last_run"] == expected
    assert client.get(f"/api/v1/workflows/{ran.pk}/").json()["last_run"] == expected
    assert client.get(f"/api/v1/workflows/{never_ran.pk}/").json()["last_run"] is None


@pytest.mark.django_db
def test_the_list_query_count_does_not_grow_with_the_workflows(
    client_for, viewer_a, org_a, make_workflow, django_assert_max_num_queries
):
    client = client_for(viewer_a)
    first = make_workflow(org_a, name="Workflow 0")
    add_run(first)
    add_run(first, RunStatus.RUNNING)
    _, with_one = list_queries(client)

    for index in range(1, 6):
        workflow = make_workflow(org_a, name=f"Workflow {index}")
        for _ in range(index % 3):
            add_run(workflow)
    with django_assert_max_num_queries(with_one):
        results = client.get("/api/v1/workflows/").json()["results"]
    assert len(results) == 6
    assert sum(1 for w in results if w["last_run"]) == 5  # "Workflow 3" never ran
    assert {w["last_run"]["status"] for w in results if w["name"] == "Workflow 0"} == {"running"}
