"""The Whiplash and Shopify sandboxes' catalog: the shared demo catalog (`connectors.demo_catalog`)."""

from connectors.demo_catalog import COLOURS, DEMO_CATALOG_SIZE, KINDS, SIZES, demo_catalog, demo_variant

__all__ = ["COLOURS", "DEMO_CATALOG_SIZE", "KINDS", "SIZES", "demo_catalog", "demo_variant"]
