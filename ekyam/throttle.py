"""Hourly limits on the pages anyone may post to (sign-up, password reset) and on invitations sent.

A fixed window per subject, counted atomically in the cache (Redis INCR when configured) the way the
API's per-key limit is: `cache.add` opens the window with its expiry, `cache.incr` counts.
"""

from __future__ import annotations

import hashlib
import time

from axes.helpers import get_client_ip_address
from django.core.cache import cache

WINDOW_SECONDS = 3600


def client_address(request) -> str:
    # The same address django-axes locks sign-ins on (it honours EKYAM_BEHIND_PROXY).
    return get_client_ip_address(request) or "unknown"


def allow(scope: str, subject: str, limit: int) -> bool:
    """Count one attempt of `subject` in `scope`; False once the hour's `limit` is passed."""
    window = int(time.time() // WINDOW_SECONDS)
    # Subjects may be e-mail addresses: keep them out of cache keys in clear.
    digest = hashlib.sha256(subject.lower().encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this attempt opens a fresh window
        cache.add(key, 1, timeout=WINDOW_SECONDS + 1)
        count = 1
    return count <= limit
