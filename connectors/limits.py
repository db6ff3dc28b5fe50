"""Per-connection concurrency limits and credential locks that hold across every worker process.

With Redis configured, a connection's slots are a Redis-backed semaphore (a sorted set of holders
with expiry, so a killed worker's slot frees itself); without Redis (inline tasks, one process) a
process-local semaphore is enough.

A connection's credentials lock serialises token refreshes (see `credentials_lock_for`): a Redis lock
with expiry when Redis is configured, else a row lock on the Connection (select_for_update, which also
holds across processes), else — on a database without row locks (SQLite, one process) — a
process-local lock.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction

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


# --- credentials lock ------------------------------------------------------------------------------
# The Redis lock expires by itself so a killed worker cannot wedge a connection; it outlives the
# slowest refresh (one token request: connect + read timeout, refresh grants are never retried).
CREDENTIALS_LOCK_TTL_SECONDS = 120
CREDENTIALS_LOCK_WAIT_SECONDS = 150
_local_credential_locks: dict[int, threading.Lock] = {}


class CredentialsLockTimeout(TimeoutError):
    """Another worker held the connection's credentials lock for too long."""


def credentials_lock_mode() -> str:
    """The strongest lock this deployment has: redis, row (select_for_update) or local."""
    if settings.REDIS_URL:
        return "redis"
    return "row" if db_connection.features.has_select_for_update else "local"


def credentials_lock_for(connection, *, mode: str | None = None):
    """A context-manager factory: `with lock(): …` runs with the connection's credentials to itself, in
    every process. Hold it around "re-read the stored tokens, refresh if still needed, persist"."""
    mode = mode or credentials_lock_mode()
    pk = connection.pk
    if mode == "redis":
        return _RedisCredentialsLock(f"ekyam:credentials:connection:{pk}")
    if mode == "row":
        return lambda: _row_lock(pk)
    if mode == "local":
        with _local_lock:
            lock = _local_credential_locks.setdefault(pk, threading.Lock())
        return lambda: _local_credentials_lock(lock, pk)
    raise ValueError(f"unknown credentials lock mode {mode!r}")


class _RedisCredentialsLock:
    def __init__(self, key: str):
        self.key = key
        self._client = None  # connected on first use: most connector instances never refresh

    @contextmanager
    def __call__(self):
        from redis.exceptions import LockError

        if self._client is None:
            self._client = _redis()
        lock = self._client.lock(
            self.key, timeout=CREDENTIALS_LOCK_TTL_SECONDS, blocking_timeout=CREDENTIALS_LOCK_WAIT_SECONDS
        )
        if not lock.acquire():
            raise CredentialsLockTimeout(
                f"credentials lock {self.key} still held after {CREDENTIALS_LOCK_WAIT_SECONDS}s"
            )
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:  # expired while held (a refresh slower than the TTL): nothing left to free
                pass


@contextmanager
def _row_lock(pk: int):
    # Its own transaction (a savepoint inside a caller's one): the row stays locked until the refreshed
    # tokens written inside it are committed, so the next holder reads them.
    from connectors.models import Connection

    with transaction.atomic():
        list(Connection.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))
        yield


@contextmanager
def _local_credentials_lock(lock: threading.Lock, pk: int):
    if not lock.acquire(timeout=CREDENTIALS_LOCK_WAIT_SECONDS):
        raise CredentialsLockTimeout(f"credentials lock of connection {pk} still held")
    try:
        yield
    finally:
        lock.release()
