BEAT_SCHEDULE = {
    "webhooks-prune-delivered": {"task": "webhooks.prune_delivered", "schedule": 3600.0},
}
