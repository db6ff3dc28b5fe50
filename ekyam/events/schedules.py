BEAT_SCHEDULE = {
    "events-prune-outbox": {"task": "events.prune_outbox", "schedule": 3600.0},
}
