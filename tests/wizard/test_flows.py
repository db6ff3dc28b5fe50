"""Steps 4 and 5: configure the Shipment Sync from its template, see its diagram, go live, retry a record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.wizard.helpers import verified_connection
from workflows.models import RecordError, Run, RunStatus, Trigger, Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def connections(org_a, netsuite_sandbox, whiplash_sandbox):
    return (
        verified_connection(org_a, "netsuite", netsuite_sandbox, "NetSuite"),
        verified_connection(org_a, "whiplash", whiplash_sandbox, "Whiplash"),
    )


def _create(client, netsuite, whiplash, **extra):
    data = {
        "blueprint": "shipment-sync",
        "name": "Shipments to Whiplash",
        "source_connection": netsuite.pk,
        "destination_connection": whiplash.pk,
        "schedule_kind": "interval",
        "interval_minutes": "15",
        **extra,
    }
    return client.post(reverse("wizard-flow-new"), data)


def test_new_flow_page_preselects_the_template_and_draws_the_diagram(web_for, owner_a, connections):
    netsuite, whiplash = connections
    page = web_for(owner_a).get(reverse("wizard-flow-new")).content.decode()
    assert '<option value="shipment-sync" selected>' in page
    assert f'<option value="{netsuite.pk}" selected>' in page
    assert "<svg" in page and 'data-node="sync"' in page and "<line" in page  # SVG nodes and edges
    assert "Shipment Sync" in page


def test_saving_creates_the_workflow_through_the_template(web_for, owner_a, connections):
    netsuite, whiplash = connections
    response = _create(web_for(owner_a), netsuite, whiplash)
    workflow = Workflow.objects.get(name="Shipments to Whiplash")
    assert response["Location"] == reverse("wizard-live", args=[workflow.pk])
    assert workflow.blueprint == "shipment-sync" and workflow.interval_seconds == 900
    sync = workflow.node("sync")
    assert sync.read_mapping_id and sync.write_mapping_id  # the defaults (or suggestions) were attached
    assert workflow.node("destination").connection == whiplash


def test_edit_changes_the_schedule(web_for, owner_a, connections):
    netsuite, whiplash = connections
    client = web_for(owner_a)
    _create(client, netsuite, whiplash)
    workflow = Workflow.objects.get()
    response = client.post(
        reverse("wizard-flow-edit", args=[workflow.pk]),
        {
            "name": "Shipments to Whiplash",
            "source_connection": netsuite.pk,
            "destination_connection": whiplash.pk,
            "schedule_kind": "cron",
            "cron": "*/5 * * * *",
        },
    )
    assert response.status_code == 302
    workflow.refresh_from_db()
    assert workflow.schedule_kind == "cron" and workflow.cron == "*/5 * * * *"


def test_bad_cron_is_explained(web_for, owner_a, connections):
    netsuite, whiplash = connections
    page = _create(web_for(owner_a), netsuite, whiplash, schedule_kind="cron", cron="every day").content.decode()
    assert "A cron expression has five fields" in page
    assert not Workflow.objects.exists()


def test_go_live_shows_the_reason_then_the_sign(web_for, owner_a, connections):
    netsuite, whiplash = connections
    client = web_for(owner_a)
    _create(client, netsuite, whiplash)
    workflow = Workflow.objects.get()
    page = client.get(reverse("wizard-live", args=[workflow.pk])).content.decode()
    assert "Not on:" in page and "Enable" in page

    client.post(reverse("wizard-enable", args=[workflow.pk]))
    workflow.refresh_from_db()
    assert workflow.enabled
    page = client.get(reverse("wizard-live", args=[workflow.pk])).content.decode()
    if workflow.status_state == "on":
        assert 'class="sign big-sign on">On<' in page
    else:
        assert f"Not on: {workflow.status_reason}" in page.replace("&#x27;", "'")

    client.post(reverse("wizard-run-now", args=[workflow.pk]))
    assert workflow.runs.filter(trigger=Trigger.MANUAL, status=RunStatus.QUEUED).exists()


def test_record_error_retried_with_corrected_data(web_for, owner_a, org_a, connections):
    netsuite, whiplash = connections
    client = web_for(owner_a)
    _create(client, netsuite, whiplash)
    workflow = Workflow.objects.get()
    run = Run.objects.create(organization=org_a, workflow=workflow, trigger=Trigger.MANUAL, status=RunStatus.PARTIAL)
    error = RecordError.objects.create(
        organization=org_a,
        workflow=workflow,
        run=run,
        trace_key="netsuite:itemFulfillment:7",
        error_class="validation",
        stage="read_mapping",
        message="ship_to.city: required",
        source_payload={"id": "7", "shippingAddress": {}},
    )
    page = client.get(reverse("wizard-live", args=[workflow.pk])).content.decode()
    assert "netsuite:itemFulfillment:7" in page and "ship_to.city: required" in page

    corrected = '{"id": "7", "shippingAddress": {"city": "Ann Arbor"}}'
    client.post(reverse("wizard-retry-error", args=[workflow.pk, error.pk]), {"edited_payload": corrected})
    error.refresh_from_db()
    assert error.edited_payload == {"id": "7", "shippingAddress": {"city": "Ann Arbor"}}
    retry = workflow.runs.get(trigger=Trigger.RETRY)
    assert retry.params["record_error_ids"] == [error.pk]


def test_other_organization_sees_no_flow(web_for, owner_a, owner_b, connections):
    netsuite, whiplash = connections
    _create(web_for(owner_a), netsuite, whiplash)
    workflow = Workflow.objects.get()
    other = web_for(owner_b)
    for name in ("wizard-live", "wizard-flow-edit"):
        assert other.get(reverse(name, args=[workflow.pk])).status_code == 404
    assert other.post(reverse("wizard-enable", args=[workflow.pk])).status_code == 404
    assert "Shipments to Whiplash" not in other.get(reverse("wizard-start")).content.decode()


def test_destinations_are_only_connections_that_write(web_for, owner_a, org_a, connections):
    from connectors.models import ConnectionStatus

    netsuite, whiplash = connections
    whiplash.status = ConnectionStatus.FAILED
    whiplash.save(update_fields=["status"])
    page = web_for(owner_a).get(reverse("wizard-flow-new")).content.decode()
    destination = page.split('name="destination_connection"', 1)[1].split("</select>", 1)[0]
    assert f'value="{netsuite.pk}"' not in destination  # NetSuite has no writer
    assert f'value="{whiplash.pk}"' in destination and "failed check — fix its keys" in destination


def test_a_destination_without_the_writer_is_a_field_error(web_for, owner_a, connections):
    netsuite, whiplash = connections
    response = _create(web_for(owner_a), netsuite, whiplash, destination_connection=netsuite.pk)
    assert response.status_code == 200 and not Workflow.objects.exists()
    page = response.content.decode()
    assert 'id="id_destination_connection_errors"' in page
    response = _create(web_for(owner_a), whiplash, whiplash, blueprint="shipment-sync")
    assert 'id="id_source_connection_errors"' in response.content.decode()
