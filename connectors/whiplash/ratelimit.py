"""A client-side request-rate limiter (token bucket with reservations), shared by every connector
instance in the process that talks to the same account, so parallel streams stay under the rate."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    _shared: dict[str, RateLimiter] = {}
    _shared_lock = threading.Lock()

    def __init__(self, rate: float, burst: float | None = None, *, clock=time.monotonic, sleep=time.sleep):
        self.rate = float(rate)
        self.capacity = burst if burst is not None else max(1.0, self.rate / 2)
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self.lock = threading.Lock()

    @classmethod
    def shared(cls, key: str, rate: float) -> RateLimiter:
        with cls._shared_lock:
            limiter = cls._shared.get(key)
            if limiter is None or limiter.rate != float(rate):
                limiter = cls._shared[key] = cls(rate)
            return limiter

    def acquire(self) -> float:
        """Take one request slot, sleeping until it is free; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1  # reserve now, wait outside the lock
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            self.sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """The server said 429: nobody in this process sends for `seconds`."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens = min(self.tokens, 0.0) - seconds * self.rate
