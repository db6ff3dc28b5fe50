"""The Whiplash sandbox: an emulator of the Rydership API v2 over real HTTP (see app.py).

`app` composes the routes and frame hooks with `auth` (OAuth tokens), `orders`, `activity` (the living
world's rounds) and `webhooks` (what it sends); `data` holds the seeded world and the state, `search`
the Ransack-style predicates.
"""

from connectors.whiplash.sandbox.app import WhiplashSandbox
from connectors.whiplash.sandbox.data import AUTHORIZATION_CODE, CLIENT_ID, CLIENT_SECRET, SEED_EPOCH

__all__ = ["AUTHORIZATION_CODE", "CLIENT_ID", "CLIENT_SECRET", "SEED_EPOCH", "WhiplashSandbox"]
