"""The seed's flows with the real connectors against their sandboxes, compared field by field."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from connectors.actions import build_connector
from connectors.models import Connection, ConnectionStatus
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from tests.sandboxes import running
from workflows import actions, engine, mappings
from workflows.models import Lineage, Run, RunStatus, Trigger


def connect(org, slug, server) -> Connection:
    cls = get_connector(slug)
    connection = Connection(
        organization=org, connector_type=slug, name=f"{cls.name} sandbox", status=ConnectionStatus.VERIFIED
    )
    connection.set_credentials(cls.sandbox_credentials(server.url))
    connection.save()
    return connection


def shipment_sync(org, ns, wl):
    """NetSuite → Shipment Sync → Whiplash over two sandbox servers, enabled, never run, with the mappings
    both connectors ship (the blueprint picks them)."""
    source, destination = connect(org, "netsuite", ns), connect(org, "whiplash", wl)
    workflow = actions.create_from_blueprint(
        org, "shipment-sync", source_connection=source, destination_connection=destination, enabled=True
    )
    sync = workflow.node("sync")
    assert sync.read_mapping_id and sync.write_mapping_id, "the blueprint uses the shipped default mappings"
    return workflow


@contextmanager
def shipment_sync_over_sandboxes(org, records: int, **whiplash_options):
    """`shipment_sync` over fresh sandboxes, NetSuite with `records` fulfillments and Whiplash with
    `whiplash_options`: yields (workflow, ns, wl) and stops both servers after."""
    with (
        running(get_connector("netsuite"), records=records) as ns,
        running(get_connector("whiplash"), **whiplash_options) as wl,
    ):
        yield shipment_sync(org, ns, wl), ns, wl


def shipment_sync_fixture(records: int, **whiplash_options):
    """A fixture yielding `shipment_sync_over_sandboxes` for org_a: (workflow, ns, wl)."""

    @pytest.fixture
    def flow(org_a):
        with shipment_sync_over_sandboxes(org_a, records, **whiplash_options) as made:
            yield made

    return flow


def execute(workflow, trigger=Trigger.MANUAL, params=None) -> Run:
    run = actions.request_run(workflow, trigger, params)
    engine.execute_run(run.pk)
    run.refresh_from_db()
    return run


shipments_to_orders = shipment_sync_fixture(records=30)


@pytest.mark.django_db
def test_netsuite_shipments_become_whiplash_orders_once(shipments_to_orders):
    workflow, _ns, wl = shipments_to_orders
    assert workflow.node("sync").read_mapping_id, "the NetSuite shipments default mapping is used"

    run = execute(workflow)

    assert run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL), run.error_summary
    assert run.read_count == 30 and run.written_count + run.failed_count == 30
    assert run.written_count >= 25, list(run.record_errors.values_list("message", flat=True))[:3]
    source_records = {
        str(r["id"]): r
        for page in build_connector(workflow.node("source").connection).read("shipments", page_size=100)
        for r in page.records
    }
    orders = {o["originator"]["original_id"]: o for o in wl.app.orders.values()}
    read_mapping = mappings.pinned(run.read_mapping_version_id)
    assert len(orders) == run.written_count
    for row in Lineage.objects.filter(workflow=workflow):
        order, shipment = orders[row.source_key], source_records[row.source_id]
        assert str(order["id"]) == row.destination_id
        address = shipment.get("shippingAddress") or {}
        assert order["shipping_city"] == address.get("city")
        assert order["shipping_address_1"] == address.get("addr1")
        standard = read_mapping.compiled.apply(shipment).output
        assert sorted((i["sku"], i["quantity"]) for i in order["order_items"]) == sorted(
            (line["sku"], line["quantity"]) for line in standard["lines"]
        )
        assert len(standard["lines"]) == len(shipment["item"]["items"])

    again = execute(workflow, Trigger.BACKFILL, {"since": "2000-01-01"})
    assert again.written_count == 0 and again.skipped_count == run.written_count
    assert len(wl.app.orders) == len(orders)


@pytest.mark.django_db
def test_whiplash_inventory_reaches_shopify_and_an_event_syncs_one_item(org_a):
    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    with SandboxServer(whiplash.sandbox_app()) as wl, SandboxServer(shopify.sandbox_app()) as sh:
        source, destination = connect(org_a, "whiplash", wl), connect(org_a, "shopify", sh)
        workflow = actions.create_from_blueprint(
            org_a, "inventory-sync", source_connection=source, destination_connection=destination, enabled=True
        )
        assert workflow.realtime and workflow.event_types == ["inventory.updated"]
        changed = list(wl.app.items.values())[:5]
        for item in changed:  # the sandboxes share a catalog: make Whiplash differ for five SKUs
            item["quantity"] += 7
            if "sellable_quantity" in item:
                item["sellable_quantity"] += 7

        run = execute(workflow)

        assert run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL), run.error_summary
        assert run.written_count >= 5, list(run.record_errors.values_list("message", flat=True))[:3]
        items = [r for page in build_connector(source).read("inventory", page_size=100) for r in page.records]
        levels = sh.app.state()["levels"]
        written = Lineage.objects.filter(workflow=workflow)
        assert written.count() == run.written_count + run.skipped_count  # unchanged ones are in the ledger too
        for row in written:
            item = next(i for i in items if str(i["id"]) == row.source_id)
            expected = int(
                item.get("sellable_quantity") if item.get("sellable_quantity") is not None else item["quantity"]
            )
            assert expected in levels[item["sku"]].values()

        # a webhook-shaped event for one item: a targeted sync of just that item
        target = changed[0]
        stored = wl.app.items[int(target["id"])]
        stored["quantity"] = 4321
        if "sellable_quantity" in stored:
            stored["sellable_quantity"] = 4321
        event = {
            "event_id": "evt-1",
            "type": "inventory.updated",
            "organization_id": org_a.pk,
            "data": {"connection_id": source.pk, "vendor": "whiplash", "record_ids": [str(target["id"])]},
        }
        [targeted] = actions.trigger_from_event(event)
        engine.execute_run(targeted.pk)
        targeted.refresh_from_db()
        assert (targeted.trigger, targeted.read_count, targeted.written_count) == (Trigger.EVENT, 1, 1)
        assert 4321 in sh.app.state()["levels"][target["sku"]].values()
