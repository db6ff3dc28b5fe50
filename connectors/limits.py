"""Per-connection concurrency limits that hold across every worker process.

With Redis configured, a connection's slots are a Redis-backed semaphore (a sorted set of holders
with expiry, so a killed worker's slot frees itself); without Redis (inline tasks, one process) a
process-local semaphore is enough.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager

from django.conf import settings

SLOT_TTL_SECONDS = 120
_local: dict[str, threading.BoundedSemaphore] = {}
_local_lock = threading.Lock()

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


class ConcurrencyLimiter:
    def __init__(self, key: str, limit: int, *, wait_timeout: float = 300.0):
        self.key = f"ekyam:slots:{key}"
        self.limit = max(1, limit)
        self.wait_timeout = wait_timeout
        self._client = _redis() if settings.REDIS_URL else None
        self._script = self._client.register_script(_ACQUIRE) if self._client else None

    @contextmanager
    def slot(self):
        if self._client is None:
            with _local_lock:
                semaphore = _local.setdefault(self.key, threading.BoundedSemaphore(self.limit))
            if not semaphore.acquire(timeout=self.wait_timeout):
                raise TimeoutError(f"no free request slot for {self.key}")
            try:
                yield
            finally:
                semaphore.release()
            return
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_timeout
        delay = 0.005
        while True:
            now = time.time()
            acquired = self._script(
                keys=[self.key], args=[now - SLOT_TTL_SECONDS, self.limit, now, holder, SLOT_TTL_SECONDS * 2]
            )
            if acquired:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no free request slot for {self.key}")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        try:
            yield
        finally:
            self._client.zrem(self.key, holder)

    def __call__(self):
        return self.slot()


def limiter_for(connection) -> ConcurrencyLimiter:
    return ConcurrencyLimiter(f"connection:{connection.pk}", connection.concurrency_limit)
