"""Sandboxes over loopback HTTP and the seed's flows wired to them, for reconciliation and dry runs."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import cache

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from connectors.shopify.client import CostModel
from tests.workflows.test_seed_flows import connect, execute, shipment_sync_fixture
from workflows import actions, conf
from workflows.reconcile.models import JobStatus

MAIN = "gid://shopify/Location/1001"
POPUP = "gid://shopify/Location/1002"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    cache.clear()
    CostModel._shared.clear()
    monkeypatch.setattr(conf, "RETRY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(conf, "RETRY_BACKOFF_MAX_SECONDS", 0.05)
    yield
    cache.clear()


def finished(job, task):
    """Run a reconciliation job's task here and now; the job as it finished (which must be a success)."""
    task(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def knobs(server, **values):
    requests.post(f"{server.url}/_sandbox/knobs", json=values, timeout=5).raise_for_status()


@pytest.fixture
def inventory_flow(org_a):
    """Whiplash → Inventory Sync → Shopify, synced once so both sides agree."""
    whiplash, shopify = get_connector("whiplash"), get_connector("shopify")
    with (
        SandboxServer(whiplash.sandbox_app(records=12, rate_limit=0)) as wl,
        SandboxServer(shopify.sandbox_app(records=12)) as sh,
    ):
        source, destination = connect(org_a, "whiplash", wl), connect(org_a, "shopify", sh)
        workflow = actions.create_from_blueprint(
            org_a, "inventory-sync", source_connection=source, destination_connection=destination, enabled=True
        )
        first = execute(workflow)
        assert first.failed_count == 0, list(first.record_errors.values_list("message", flat=True))[:3]
        yield workflow, wl, sh


shipment_flow = shipment_sync_fixture(records=60, rate_limit=0)  # NetSuite → Shipment Sync → Whiplash, never run


__all__ = ["MAIN", "POPUP", "execute", "knobs"]
