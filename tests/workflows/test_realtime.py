"""The real-time path against a real broker, end to end:

    Whiplash sandbox webhook ──► /hooks/whiplash/<token>/ ──► outbox ──► relay ──► Kafka ──► trigger consumer
        ──► Celery (Redis) ──► worker ──► targeted sync ──► Shopify sandbox (inventory) / shipment lineage (tracking)

The broker, relay, trigger consumer and worker are started once for the module (a consumer group join takes
seconds on the embedded broker); the processes work on the test database, so the tests commit their data.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from bench.common import wait_for
from bench.realtime import RealtimeRig, WebReceiver
from connectors.models import InboundWebhook
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam.http import HttpClient
from workflows import actions, engine, lineage
from workflows.models import Lineage, Run, RunStatus, Trigger

from .test_seed_flows import connect

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


@pytest.fixture(scope="module")
def rig(django_db_setup):
    with RealtimeRig(worker=True) as running:
        yield running


@pytest.fixture
def web(rig, transactional_db):
    with WebReceiver() as receiver:
        yield receiver


def fire(sandbox, **body) -> dict:
    response = HttpClient(max_retries=0).post(f"{sandbox.url}/_sandbox/fire", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def inventory_sync(organization, web):
    """Whiplash and Shopify sandboxes, an enabled real-time inventory sync between them, Whiplash's webhooks
    pointed at the web receiver: yields (whiplash sandbox, shopify sandbox, source connection, workflow)."""
    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    with SandboxServer(whiplash.sandbox_app(rate_limit=0)) as wl, SandboxServer(shopify.sandbox_app()) as sh:
        source, destination = connect(organization, "whiplash", wl), connect(organization, "shopify", sh)
        workflow = actions.create_from_blueprint(
            organization, "inventory-sync", source_connection=source, destination_connection=destination, enabled=True
        )
        wl.app.webhook_url = web.hook_url(source)
        yield wl, sh, source, workflow


def test_a_whiplash_inventory_webhook_reaches_shopify_through_kafka_and_a_worker(rig, web, org_a):
    with inventory_sync(org_a, web) as (wl, sh, source, workflow):
        item = list(wl.app.items.values())[3]
        assert 4321 not in sh.app.state()["levels"][item["sku"]].values()

        sent = fire(wl, event="item.inventory_changed", sku=item["sku"], quantity=4321, warehouse_id=1, repeat=2)

        assert [d["status"] for d in sent["deliveries"]] == [200, 200]  # the second one is a redelivery
        expected = sent["body"]["item"]["quantity"]
        assert expected == 4321 + wl.app.items[item["id"]]["warehouse_quantities"][2]
        wait_for(lambda: expected in sh.app.state()["levels"][item["sku"]].values(), what="the Shopify quantity")

        run = wait_for(lambda: Run.objects.filter(workflow=workflow, status=RunStatus.SUCCEEDED).first(), what="run")
        assert (run.trigger, run.params["record_ids"], run.read_count, run.written_count) == (
            Trigger.EVENT, [str(item["id"])], 1, 1,
        )  # fmt: skip
        inbound = InboundWebhook.objects.get(connection=source)
        assert (inbound.status, inbound.duplicate_count, inbound.topic) == ("processed", 1, "item.inventory_changed")
        lineage = Lineage.objects.get(workflow=workflow, source_id=str(item["id"]))
        assert (lineage.destination_system, lineage.run_id) == ("shopify", run.pk)
        assert Run.objects.filter(workflow=workflow).count() == 1  # the redelivered webhook started nothing


def test_a_whiplash_order_shipped_webhook_brings_tracking_back_to_the_shipment(rig, web, org_a):
    netsuite, whiplash = get_connector("netsuite"), get_connector("whiplash")
    with SandboxServer(netsuite.sandbox_app(records=6)) as ns, SandboxServer(whiplash.sandbox_app(rate_limit=0)) as wl:
        ns_connection, wl_connection = connect(org_a, "netsuite", ns), connect(org_a, "whiplash", wl)
        forward = actions.create_from_blueprint(
            org_a, "shipment-sync", source_connection=ns_connection, destination_connection=wl_connection,
            enabled=True,
        )  # fmt: skip
        back = actions.create_from_blueprint(org_a, "tracking-back", source_connection=wl_connection, enabled=True)
        assert back.realtime and back.event_types == ["shipment.shipped"]

        sent_run = actions.request_run(forward, Trigger.MANUAL)
        engine.execute_run(sent_run.pk)  # the forward flow, in this process (the worker may race: both are safe)
        wait_for(lambda: Run.objects.get(pk=sent_run.pk).is_finished, what="the forward run")
        shipment = Lineage.objects.filter(workflow=forward).order_by("pk").first()
        assert shipment is not None and shipment.destination_system == "whiplash"

        wl.app.webhook_url = web.hook_url(wl_connection)
        sent = fire(wl, event="order.shipped", order_id=int(shipment.destination_id), tracking="1ZEKYAM0000000001")
        assert [d["status"] for d in sent["deliveries"]] == [200]

        def tracked():
            row = Lineage.objects.get(pk=shipment.pk)
            return row if (row.details.get("tracking") or {}).get("tracking_numbers") else None

        row = wait_for(tracked, what="tracking on the shipment's lineage")
        assert row.details["tracking"]["tracking_numbers"] == ["1ZEKYAM0000000001"]
        assert row.details["tracking"]["status"] == "shipped"
        run = wait_for(lambda: Run.objects.filter(workflow=back).first(), what="the tracking run")
        run = wait_for(lambda: Run.objects.get(pk=run.pk) if Run.objects.get(pk=run.pk).is_finished else None)
        assert (run.trigger, run.params["record_ids"], run.status) == (
            Trigger.EVENT, [shipment.destination_id], RunStatus.SUCCEEDED,
        )  # fmt: skip
        inbound = InboundWebhook.objects.get(connection=wl_connection, topic="order.shipped")
        assert inbound.status == "processed"

        # Searching the NetSuite fulfillment id shows the whole path, tracking included.
        path = list(lineage.search_lineage(org_a, shipment.source_id))
        assert {r.workflow_id for r in path} == {forward.pk, back.pk}
        hop = next(r for r in path if r.workflow_id == forward.pk)
        assert hop.source_id == shipment.source_id and hop.details["tracking"]["tracking_numbers"]


def test_a_burst_of_40_inventory_changes_converges_in_shopify_without_a_failed_event(rig, web, org_a):
    """Two changes per SKU for 20 SKUs, fired back to back from several threads: each event merges into the
    queued targeted run or starts the next one, none is dropped and no run stays `running`.

    Convergence alone does not prove the lock order: a deadlocked event was retried and a stuck run was
    swept, so the old code converged too, late. So the processes' own logs must show no deadlock and no
    lost race, every run was claimed once (none resumed by the sweeper), and every event's record is in
    exactly the runs' record ids."""
    from concurrent.futures import ThreadPoolExecutor

    logged_before = {child.name: list(child.lines) for child in rig.children}

    with inventory_sync(org_a, web) as (wl, sh, source, workflow):
        items = list(wl.app.items.values())[:20]
        changes = [(item["sku"], 500 + 10 * n + round_) for round_ in (1, 2) for n, item in enumerate(items)]

        with ThreadPoolExecutor(max_workers=4) as pool:
            sent = list(
                pool.map(
                    lambda c: fire(wl, event="item.inventory_changed", sku=c[0], quantity=c[1], warehouse_id=1),
                    changes,
                )
            )
        assert [d["status"] for s in sent for d in s["deliveries"]] == [200] * 40
        expected = {item["sku"]: wl.app._item_entity(wl.app.items[item["id"]])["quantity"] for item in items}

        def converged():
            levels = sh.app.state()["levels"]
            return all(quantity in levels[sku].values() for sku, quantity in expected.items())

        wait_for(converged, timeout=60, what="every SKU's last quantity in Shopify")
        inbound = InboundWebhook.objects.filter(connection=source)
        # A run reads the sandbox's current stock, so Shopify can converge while the trigger consumer is
        # still handling the last events; wait until every event has been handled (or failed) and its runs
        # have finished before judging them.
        wait_for(
            lambda: not inbound.filter(status=InboundWebhook.Status.RECEIVED).exists(),
            what="every inbound event handled by the trigger consumer",
        )
        wait_for(
            lambda: (
                not Run.objects.filter(workflow=workflow, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()
            ),
            what="no run left queued or running",
        )
        assert inbound.count() == 40
        assert sorted({row.status for row in inbound}) == ["processed"]
        assert not Run.objects.filter(workflow=workflow, status=RunStatus.FAILED).exists()

        runs = list(Run.objects.filter(workflow=workflow))
        assert {r.status for r in runs} == {RunStatus.SUCCEEDED} and {r.attempts for r in runs} == {1}
        synced = {record_id for run in runs for record_id in run.params["record_ids"]}
        assert synced == {str(item["id"]) for item in items}
        news = {
            child.name: [line for line in child.lines if line not in logged_before.get(child.name, [])]
            for child in rig.children
        }
        troubles = [
            f"{name}: {line.strip()}"
            for name, lines in news.items()
            for line in lines
            if any(word in line for word in ("deadlock", "lost a database race", "could not start its runs"))
        ]
        assert troubles == []
