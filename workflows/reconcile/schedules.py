"""Fixed periodic tasks of reconciliation (per-workflow schedules live in django-celery-beat rows)."""

BEAT_SCHEDULE = {
    "reconcile-fail-stale-jobs": {"task": "reconcile.fail_stale_jobs", "schedule": 300.0},
}
