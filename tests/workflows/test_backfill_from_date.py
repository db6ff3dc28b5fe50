"""A backfill run from a date (Whiplash inventory → Shopify, the real connectors against their sandboxes):
only records modified on/after the date are read and written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from connectors.whiplash.sandbox import SEED_EPOCH
from tests.workflows.test_seed_flows import connect
from workflows import actions, engine
from workflows.models import Lineage, RunStatus, Trigger


@pytest.mark.django_db
def test_a_backfill_from_a_date_writes_only_the_newer_records(org_a):
    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    with (
        SandboxServer(whiplash.sandbox_app(records=12, rate_limit=0)) as wl,
        SandboxServer(shopify.sandbox_app()) as sh,
    ):
        source, destination = connect(org_a, "whiplash", wl), connect(org_a, "shopify", sh)
        workflow = actions.create_from_blueprint(
            org_a, "inventory-sync", source_connection=source, destination_connection=destination
        )
        # Every item differs from Shopify, so whatever the run reads it has to write; the 12 items were
        # updated one minute apart from SEED_EPOCH.
        for item in wl.app.items.values():
            item["quantity"] += 7
            if "sellable_quantity" in item:
                item["sellable_quantity"] += 7
        since = SEED_EPOCH + timedelta(minutes=5)
        newer = {
            str(i["id"]) for i in wl.app.items.values() if i["updated_at"] >= since.isoformat(timespec="milliseconds")
        }
        assert len(newer) == 7
        levels_before = sh.app.state()["levels"]

        run = actions.backfill(workflow, since)
        assert run.trigger == Trigger.BACKFILL and run.params == {"since": str(since)}
        engine.execute_run(run.pk)
        run.refresh_from_db()

        assert run.status == RunStatus.SUCCEEDED, run.error_summary
        assert (run.read_count, run.written_count, run.failed_count) == (7, 7, 0)
        written = set(Lineage.objects.filter(workflow=workflow).values_list("source_id", flat=True))
        assert written == newer
        levels_after = sh.app.state()["levels"]
        changed = {sku for sku, levels in levels_after.items() if levels != levels_before.get(sku)}
        assert changed == {i["sku"] for i in wl.app.items.values() if str(i["id"]) in newer}
