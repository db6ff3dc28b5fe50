"""The Shopify sandbox: an emulator of the Admin GraphQL operations the connector sends, over real HTTP (see app.py).

`app` holds the route, the frame hooks and the read queries and composes them with `mutations`
(inventorySetQuantities), `activity` (the living world's rounds) and `webhooks` (what it sends); `data`
holds the seeded world and the state.
"""

from connectors.shopify.sandbox.app import ShopifySandbox
from connectors.shopify.sandbox.data import ACCESS_TOKEN, APP_SECRET, SEED_EPOCH

__all__ = ["ACCESS_TOKEN", "APP_SECRET", "SEED_EPOCH", "ShopifySandbox"]
