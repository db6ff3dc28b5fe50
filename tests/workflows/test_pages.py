"""The overview and status pages render the signs and the SVG diagram, scoped to the organization."""

import pytest
from django.test import Client

from workflows.models import RecordError


@pytest.mark.django_db
def test_overview_and_status_page(owner_a, owner_b, workflow):
    client = Client()
    client.force_login(owner_a)
    overview = client.get("/workflows/").content.decode()
    assert workflow.name in overview and 'class="sign on"' in overview

    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert "<svg" in page and 'data-node="source"' in page and 'data-node="destination"' in page
    assert "/ws/workflows/" in page
    assert 'id="initial-status"' in page

    outsider = Client()
    outsider.force_login(owner_b)
    assert outsider.get(f"/workflows/{workflow.pk}/").status_code == 404


@pytest.mark.django_db
def test_run_now_and_record_error_pages(owner_a, workflow, source_sandbox):
    from workflows import engine
    from workflows.models import Run

    client = Client()
    client.force_login(owner_a)
    source_sandbox.app.items[0]["qty"] = "?"
    assert client.post(f"/workflows/{workflow.pk}/run/").status_code == 302
    engine.execute_run(Run.objects.get(workflow=workflow).pk)
    error = RecordError.objects.get(workflow=workflow)
    assert error.trace_key in client.get("/record-errors/").content.decode()

    response = client.post(
        f"/record-errors/{error.pk}/retry/", {"edited_payload": '{"id": "1", "sku": "SKU-00001", "qty": 1}'}
    )
    assert response.status_code == 302
    retry = Run.objects.filter(workflow=workflow, trigger="retry").get()
    engine.execute_run(retry.pk)
    error.refresh_from_db()
    assert error.status == "resolved"
    assert client.post(f"/workflows/{workflow.pk}/explode/").status_code == 404
