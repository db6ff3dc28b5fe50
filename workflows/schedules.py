"""Fixed periodic tasks of the workflows app (per-workflow schedules live in django-celery-beat rows)."""

from workflows import conf

BEAT_SCHEDULE = {
    "workflows-requeue-stale-runs": {"task": "workflows.requeue_stale_runs", "schedule": conf.SWEEP_SECONDS},
    "workflows-refresh-statuses": {"task": "workflows.refresh_statuses", "schedule": 60.0},
    "workflows-prune-outcomes": {"task": "workflows.prune_outcomes", "schedule": 3600.0},
}
