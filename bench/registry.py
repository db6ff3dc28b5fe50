"""Every benchmark by name: `manage.py bench --list` prints them."""

from __future__ import annotations

from bench import inventory_latency, mapping, netsuite_read, reconcile, sync_faults, webhook_drills, webhooks, workflow

BENCHMARKS = {
    "webhooks": (webhooks.run, "events through outbox → Kafka → consumer → receiver vs a bare aiohttp client"),
    "workflow": (workflow.bench_workflow, "NetSuite → Shipment Sync → Whiplash with a real worker (--shipments N)"),
    "inventory_latency": (
        inventory_latency.bench_inventory_latency,
        "Whiplash inventory webhook → Shopify quantity through Kafka and a worker: median/p95 (--events N)",
    ),
    "netsuite_read": (netsuite_read.run, "read N NetSuite item fulfillments from the sandbox vs a raw paged fetch"),
    "mapping": (mapping.run, "Mapping engine vs hand-written Python: NetSuite fulfillments -> Shipment"),
    **webhook_drills.BENCHMARKS,
    **sync_faults.BENCHMARKS,
    **reconcile.BENCHMARKS,
}
