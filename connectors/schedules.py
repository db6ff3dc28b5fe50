"""Fixed periodic tasks of the connectors app (collected by ekyam/celery.py)."""

from connectors.conf import RECHECK_INTERVAL_SECONDS

BEAT_SCHEDULE = {
    "connectors-recheck-connections": {
        "task": "connectors.recheck_connections",
        "schedule": float(RECHECK_INTERVAL_SECONDS),
    },
}
