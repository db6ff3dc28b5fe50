"""Per-endpoint rate limits, shared by every delivery process through the cache (Redis in production)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(endpoint_id: int, per_second: int | None) -> bool:
    """Count one request in the current second; False when the endpoint's limit is reached."""
    if not per_second:
        return True
    key = f"webhooks:rate:{endpoint_id}:{int(time.time())}"
    cache.add(key, 0, timeout=5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=5)
        used = 1
    return used <= per_second
