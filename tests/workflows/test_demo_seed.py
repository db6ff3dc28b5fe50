"""`make run`'s demo: the seeded flows over the sandbox connections, and sandboxes that send webhooks to them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from connectors import processes as connector_processes
from connectors import seed as connector_seed
from connectors.models import Connection
from ekyam.seeding import run_app_seeders
from workflows import seed
from workflows.models import ScheduleKind, Workflow


@pytest.mark.django_db
def test_the_demo_seed_creates_the_flows_enabled_scheduled_and_due(org_a):
    lines = run_app_seeders(org_a)

    names = {
        "NetSuite → Shipment Sync → Whiplash",
        "Whiplash → Inventory Sync → Shopify",
        "Whiplash → Tracking → Shipment",
    }
    assert {w.name for w in Workflow.objects.filter(organization=org_a)} == names
    for workflow in Workflow.objects.filter(organization=org_a):
        assert workflow.enabled and workflow.schedule_kind == ScheduleKind.INTERVAL
        assert workflow.interval_seconds == seed.DEMO_INTERVAL_SECONDS
        task = workflow.periodic_task
        assert task.enabled and task.interval.every == seed.DEMO_INTERVAL_SECONDS
        assert (timezone.now() - task.last_run_at).total_seconds() > task.interval.every  # due when Beat starts
        sync = workflow.node("sync")
        assert sync.read_mapping_id, workflow.name
        source = workflow.node("source").connection
        assert source.name.endswith("sandbox") and source.organization_id == org_a.pk
    inventory = Workflow.objects.get(organization=org_a, blueprint="inventory-sync")
    assert inventory.realtime and inventory.event_types == ["inventory.updated"]
    assert (
        inventory.node("sync").write_mapping_id and inventory.node("destination").connection.connector_type == "shopify"
    )
    assert any("Inventory Sync" in line for line in lines)

    assert seed.seed_demo(org_a) == [] and connector_seed.seed_demo(org_a) == []  # idempotent
    assert Workflow.objects.filter(organization=org_a).count() == 3


@pytest.mark.django_db
def test_the_demo_sandboxes_send_their_webhooks_to_the_demo_connections(org_a):
    org_a.slug = "demo"
    org_a.save(update_fields=["slug"])
    connector_seed.seed_demo(org_a)

    specs = {s.name: s for s in connector_processes.standalone_processes({"host": "0.0.0.0", "port": 8123})}

    for vendor in ("whiplash", "shopify"):
        token = Connection.objects.get(organization=org_a, connector_type=vendor).webhook_token
        argv = specs[f"sandbox-{vendor}"].argv
        assert argv[argv.index("--webhook-url") + 1] == f"http://127.0.0.1:8123/hooks/{vendor}/{token}/"
    assert "--webhook-url" not in specs["sandbox-netsuite"].argv
