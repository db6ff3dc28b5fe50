"""Rate limits per API key (and per user for session requests), counted atomically.

A fixed window per key: the first request of a window creates its counter (`cache.add`, with the
window's expiry), every request increments it (`cache.incr`: Redis INCR in production, a locked
increment in the in-process cache), and the request is refused once the count passes the limit.
A read-modify-write of a history list (DRF's SimpleRateThrottle) let concurrent requests overwrite
each other's entries, so 32 clients got far more than the limit through.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class PerKeyRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # The scope (key or user) is only known per request; allow_request parses the rate.
        self.wait_seconds = None

    def allow_request(self, request, view):
        api_key = getattr(request.user, "api_key", None)
        if api_key is not None:
            self.scope, ident = "api_key", f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "user", f"user:{request.user.pk}"
        else:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // self.duration)
        key = f"throttle:{self.scope}:{ident}:{window}"
        self.cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens a fresh window
            self.cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        if count > self.num_requests:
            self.wait_seconds = (window + 1) * self.duration - now
            return False
        return True

    def wait(self):
        return self.wait_seconds

    def get_rate(self):
        # Read the rates on each request (not once at import) so a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
