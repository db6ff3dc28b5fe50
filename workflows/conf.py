"""Settings of the workflow engine, read from the environment (documented in .env.example)."""

from ekyam.env import env_float, env_int

# A running run whose worker has not checkpointed for this long is stale: it is resumed elsewhere.
STALE_AFTER_SECONDS = env_int("EKYAM_WORKFLOW_STALE_SECONDS", 300, minimum=5)
# Transient failures (timeouts, 429, 5xx) are retried inside the run this many times with backoff.
RETRY_ATTEMPTS = env_int("EKYAM_WORKFLOW_RETRY_ATTEMPTS", 4, minimum=0)
RETRY_BACKOFF_SECONDS = env_float("EKYAM_WORKFLOW_RETRY_BACKOFF", 0.5)
RETRY_BACKOFF_MAX_SECONDS = env_float("EKYAM_WORKFLOW_RETRY_BACKOFF_MAX", 30.0)
