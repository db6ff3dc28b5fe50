BEAT_SCHEDULE = {
    # (The entry keeps its name from before alerts moved into the core: Beat's stored entry is reused.)
    "webhooks-flush-alert-digests": {"task": "webhooks.flush_alert_digests", "schedule": 60.0},
}
