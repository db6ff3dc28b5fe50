"""The workflow templates ("blueprints") that create the seed's flows in one step."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Blueprint:
    slug: str
    name: str
    description: str
    source_connector: str
    source_stream: str
    standard: str
    destination_connector: str | None  # None: Ekyam's own shipment ledger
    destination_stream: str
    sync_label: str
    event_types: tuple[str, ...] = ()
    schedule_interval_seconds: int | None = None
    builtin_destination: str = ""
    extra: dict = field(default_factory=dict)


BLUEPRINTS: dict[str, Blueprint] = {
    blueprint.slug: blueprint
    for blueprint in [
        Blueprint(
            slug="shipment-sync",
            name="NetSuite → Shipment Sync → Whiplash",
            description="NetSuite item fulfillments become Whiplash orders, through the Shipment standard.",
            source_connector="netsuite",
            source_stream="shipments",
            standard="shipment",
            destination_connector="whiplash",
            destination_stream="orders",
            sync_label="Shipment Sync",
            schedule_interval_seconds=900,
        ),
        Blueprint(
            slug="inventory-sync",
            name="Whiplash → Inventory Sync → Shopify",
            description="Whiplash stock levels become Shopify available quantities, through InventoryLevel.",
            source_connector="whiplash",
            source_stream="inventory",
            standard="inventory_level",
            destination_connector="shopify",
            destination_stream="inventory",
            sync_label="Inventory Sync",
            event_types=("inventory.updated",),
            schedule_interval_seconds=3600,
        ),
        Blueprint(
            slug="tracking-back",
            name="Whiplash → Tracking → Shipment",
            description="Shipped Whiplash orders bring status and tracking numbers back to the Shipment record.",
            source_connector="whiplash",
            source_stream="orders",
            standard="shipment",
            destination_connector=None,
            destination_stream="shipments",
            sync_label="Tracking Sync",
            event_types=("shipment.shipped",),
            schedule_interval_seconds=900,
            builtin_destination="shipment_ledger",
        ),
    ]
}


def get_blueprint(slug: str) -> Blueprint:
    try:
        return BLUEPRINTS[slug]
    except KeyError:
        raise LookupError(f"Unknown workflow template {slug!r}; known: {', '.join(BLUEPRINTS)}.") from None
