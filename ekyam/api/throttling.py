"""Rate limits per API key (and per user for session requests)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class PerKeyRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # The scope (key or user) is only known per request; allow_request parses the rate.
        pass

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
        self.key = f"throttle:{self.scope}:{ident}"
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_rate(self):
        # Read the rates on each request (not once at import) so a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
