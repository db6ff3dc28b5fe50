"""Settings of the connectors app, read from the environment."""

from ekyam.env import env_int

# How often verified and offline connections are checked again (they go offline / back to verified).
RECHECK_INTERVAL_SECONDS = env_int("EKYAM_CONNECTION_RECHECK_SECONDS", 300, minimum=10)

# Inbound vendor webhooks: a body whose own timestamp (Whiplash's resource `updated_at`, Shopify's
# body `updated_at`) is older than this is refused as a replay. Shopify retries for 48 hours and
# Whiplash for less, so 72 hours keeps every genuine retry. A timestamp more than the skew ahead of
# our clock is refused too.
INBOUND_WEBHOOK_MAX_AGE_SECONDS = env_int("EKYAM_INBOUND_WEBHOOK_MAX_AGE_SECONDS", 72 * 3600, minimum=60)
INBOUND_WEBHOOK_CLOCK_SKEW_SECONDS = env_int("EKYAM_INBOUND_WEBHOOK_CLOCK_SKEW_SECONDS", 300, minimum=0)
