"""Settings of the connectors app, read from the environment."""

from ekyam.env import env_int

# How often verified and offline connections are checked again (they go offline / back to verified).
RECHECK_INTERVAL_SECONDS = env_int("EKYAM_CONNECTION_RECHECK_SECONDS", 300, minimum=10)
