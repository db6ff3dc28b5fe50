"""Settings of the workflow engine, read from the environment (documented in .env.example)."""

from ekyam.env import env_float, env_int

# Recovery after a worker dies (SIGKILL, OOM, lost host), end to end:
#   the worker renews its run's heartbeat every HEARTBEAT_SECONDS (a side thread, also inside a slow batch);
#   a running run whose heartbeat is older than STALE_AFTER_SECONDS is stale; the beat task
#   `workflows.requeue_stale_runs` sweeps every SWEEP_SECONDS and re-dispatches stale runs from their last
#   durable checkpoint. A killed run therefore resumes within STALE_AFTER + SWEEP seconds (45 + 15 by default)
#   plus the time a worker takes to pick the task up. Celery's acks_late/visibility settings (ekyam/settings.py)
#   are a second path that never races the first: a redelivered task meets a fresh lease and does nothing.
STALE_AFTER_SECONDS = env_int("EKYAM_WORKFLOW_STALE_SECONDS", 45, minimum=5)
HEARTBEAT_SECONDS = env_float("EKYAM_WORKFLOW_HEARTBEAT_SECONDS", 10.0)
SWEEP_SECONDS = env_float("EKYAM_WORKFLOW_SWEEP_SECONDS", 15.0)
if not 0 < HEARTBEAT_SECONDS <= STALE_AFTER_SECONDS / 3:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "EKYAM_WORKFLOW_HEARTBEAT_SECONDS must be positive and at most a third of EKYAM_WORKFLOW_STALE_SECONDS, "
        "so that two missed beats never make a live run look stale."
    )
# Transient failures (timeouts, 429, 5xx) that outlast the hardened client's retry policy (ekyam/http.py:
# 1 + EKYAM_HTTP_MAX_RETRIES = 5 attempts per call) hand the batch back to the run's last durable checkpoint
# this many times (`leases.hand_back`: the task is queued again with a Celery countdown of the backoff below,
# the worker does not sleep through it). Worst case for one call under steady 429s: (1 + 4) claims × 5
# attempts = 25 attempts (twice that for a Whiplash or NetSuite OAuth 2.0 call whose token is refreshed in
# between), where the three stacked loops of before allowed 4 × 7 × 5 = 140.
RETRY_ATTEMPTS = env_int("EKYAM_WORKFLOW_RETRY_ATTEMPTS", 4, minimum=0)
RETRY_BACKOFF_SECONDS = env_float("EKYAM_WORKFLOW_RETRY_BACKOFF", 0.5)
RETRY_BACKOFF_MAX_SECONDS = env_float("EKYAM_WORKFLOW_RETRY_BACKOFF_MAX", 30.0)
# Record outcomes (what each run did with each record, and why) are kept this many days; an hourly beat task
# deletes older ones in batches. A record's lineage stays: only the per-run explanations go.
OUTCOME_RETENTION_DAYS = env_int("EKYAM_WORKFLOW_OUTCOME_RETENTION_DAYS", 30, minimum=1)
OUTCOME_RETENTION_BATCH = env_int("EKYAM_WORKFLOW_OUTCOME_RETENTION_BATCH", 5000, minimum=1)
# A worker that finishes a run starts the workflow's next queued run itself, up to this many in one task,
# instead of handing it to the broker and back: under a burst of trigger events each hop through the queue
# cost a fresh task (~0.7 s on a loaded machine) on the critical path. The finished run still dispatches the
# next one through the broker, so a worker that dies in between loses nothing (the spare task does nothing).
CHAIN_RUNS = env_int("EKYAM_WORKFLOW_CHAIN_RUNS", 20, minimum=0)
