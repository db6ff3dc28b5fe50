BEAT_SCHEDULE = {
    "webhooks-flush-alert-digests": {"task": "webhooks.flush_alert_digests", "schedule": 60.0},
    "webhooks-prune-delivered": {"task": "webhooks.prune_delivered", "schedule": 3600.0},
}
