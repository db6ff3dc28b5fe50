"""The delivery engine of one consumer process: claims, an asyncio delivery loop, a batch recorder.

Attempts run on one event loop in its own thread, through the asyncio side of the hardened client
(`ekyam.http_async.AsyncHttpClient`, on libcurl): WEBHOOK_DELIVERY_THREADS worker coroutines per
process, so at most that many attempts are in flight. One loop keeps hundreds of requests in flight
on keep-alive connections for the cost of one thread; a pool of blocking threads spent most of its
time in per-request overhead and contention for the interpreter lock. The database stays in
ordinary threads: the consumer stores and claims, the recorder writes outcomes in batches.

Deliveries are claimed with a conditional UPDATE (a lease: `claim_token` + `claimed_until`), so any
number of processes can run this; a process that dies simply lets its leases expire and another one
retries those deliveries. Retries wait in the database (`next_attempt_at`), not in Kafka: Kafka
partitions keep flowing while a slow endpoint waits hours, Retry-After can be honoured exactly, and
every attempt is already a row. The scheduler thread picks up due retries every interval.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets as pysecrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ekyam.db import keep_connection
from webhooks import conf, delivery, outcomes, ratelimit
from webhooks.models import Delivery, DeliveryAttempt

log = logging.getLogger("webhooks.dispatcher")

# The recorder polls (a few wake-ups a second cost nothing, a wake-up per attempt did) and records
# a batch once it is RECORD_BATCH long or its oldest outcome has waited RECORD_MAX_WAIT seconds:
# a batch's fixed cost (statement, round trip, transaction) outweighed its rows below ~100.
RECORD_INTERVAL = 0.02
RECORD_MAX_WAIT = 0.25
RECORD_BATCH = 1000


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop (libuv): the delivery loop spends most of its CPU in the event loop and
    transport code, which uvloop runs in C. The standard loop where uvloop is not available."""
    try:
        import uvloop
    except ImportError:  # e.g. on Windows, where uvloop does not build
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def new_claim_token() -> str:
    return pysecrets.token_hex(16)


def due_filter(now) -> Q:
    return (
        Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING], next_attempt_at__lte=now)
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        & Q(endpoint__is_active=True)
    )


def claim_due(limit: int = 500) -> list[Delivery]:
    """Claim up to `limit` due deliveries for this process; safe against concurrent claimers."""
    now = timezone.now()
    ids = list(
        Delivery.objects.filter(due_filter(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    token = new_claim_token()
    lease = timedelta(seconds=conf.get("WEBHOOK_CLAIM_LEASE_SECONDS"))
    # Re-checking the due conditions in the UPDATE is what makes the claim exclusive.
    Delivery.objects.filter(due_filter(now), pk__in=ids).update(claim_token=token, claimed_until=now + lease)
    return list(Delivery.objects.filter(claim_token=token).select_related("endpoint", "message"))


def job_for(d: Delivery) -> delivery.Job:
    endpoint, message = d.endpoint, d.message
    schedule_index = d.attempt_count - d.replay_base
    if message.event_type == "webhook.test":
        trigger = DeliveryAttempt.Trigger.TEST
    elif d.replay_base and schedule_index == 0:
        trigger = DeliveryAttempt.Trigger.REPLAY
    else:
        trigger = DeliveryAttempt.Trigger.SCHEDULED
    return delivery.Job(
        delivery_id=d.pk,
        organization_id=d.organization_id,
        endpoint_id=endpoint.pk,
        url=endpoint.url,
        secrets_token=endpoint.secrets_encrypted,
        custom_headers=endpoint.headers,
        webhook_id=message.webhook_id,
        body=delivery.encode_body(message.body),
        number=d.attempt_count + 1,
        schedule_index=schedule_index,
        claim_token=d.claim_token,
        trigger=trigger,
        event_type=message.event_type,
        rate_limit=endpoint.rate_limit_per_second,
    )


def release(job: delivery.Job, delay_seconds: float) -> None:
    """Give a claimed delivery back without an attempt (rate limited), due again after the delay."""
    Delivery.objects.filter(pk=job.delivery_id, claim_token=job.claim_token).update(
        claimed_until=None, claim_token="", next_attempt_at=timezone.now() + timedelta(seconds=delay_seconds)
    )


class Dispatcher:
    """Runs attempts on an event loop thread and records outcomes in batches from one recorder thread."""

    def __init__(self, threads: int | None = None, max_in_flight: int | None = None, on_recorded=None):
        # `threads` is the number of concurrent attempts (the setting kept its historical name).
        self.threads = threads or conf.get("WEBHOOK_DELIVERY_THREADS")
        self.outcomes: collections.deque = collections.deque()  # (job, result) the recorder has not taken yet
        # Bounds jobs handed over but not yet recorded: `submit` blocks the consumer when delivery
        # falls behind, so memory stays bounded and Kafka keeps the backlog.
        self.in_flight = threading.BoundedSemaphore(max_in_flight or self.threads * 64)
        self.stopping = threading.Event()
        self.drained = threading.Event()  # no attempt is running any more: the recorder may finish
        self.on_recorded = on_recorded
        self.loop = new_event_loop()
        self.loop_thread = threading.Thread(target=self._loop_main, name="webhook-delivery", daemon=True)
        self.loop_ready = threading.Event()
        # Rate-limit checks talk to the cache synchronously; they run here, off the event loop.
        self.limiter = ThreadPoolExecutor(2, thread_name_prefix="webhook-ratelimit")
        self.recorder = threading.Thread(target=self._record_loop, name="webhook-recorder", daemon=True)
        self.scheduler = threading.Thread(target=self._schedule_loop, name="webhook-scheduler", daemon=True)

    def start(self, scheduler: bool = True) -> Dispatcher:
        self.loop_thread.start()
        self.loop_ready.wait()
        self.recorder.start()
        if scheduler:
            self.scheduler.start()
        return self

    # --- the event loop thread ---------------------------------------------------------------

    def _loop_main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.client = delivery.make_async_client(self.threads)
        self.limit = conf.get("WEBHOOK_RESPONSE_BODY_LIMIT")
        self.timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")
        self.require_https = conf.get("WEBHOOK_REQUIRE_HTTPS")
        # A fixed set of workers bounds the attempts in flight (cheaper than a task per job).
        self.queue: asyncio.Queue = asyncio.Queue()
        self.workers = [self.loop.create_task(self._work()) for _ in range(self.threads)]
        self.loop_ready.set()
        self.loop.run_forever()

    def submit(self, jobs: list[delivery.Job]) -> None:
        """Hand jobs to the event loop (thread-safe); blocks while too many are unrecorded."""
        pending: list[delivery.Job] = []
        for job in jobs:
            if not self.in_flight.acquire(blocking=False):
                # Full: start what we hold so far (its outcomes free slots), then wait for a slot.
                self._hand_over(pending)
                pending = []
                self.in_flight.acquire()
            pending.append(job)
        self._hand_over(pending)

    def _hand_over(self, jobs: list[delivery.Job]) -> None:
        if jobs:
            self.loop.call_soon_threadsafe(self._enqueue, jobs)

    def _enqueue(self, jobs: list[delivery.Job]) -> None:
        for job in jobs:
            self.queue.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                # A deque append is atomic: no lock and no wake-up per attempt (a thread-safe queue's
                # lock and notify cost the event loop more than a twentieth of the process).
                self.outcomes.append((job, await self._attempt(job)))
            finally:
                self.queue.task_done()

    async def _attempt(self, job: delivery.Job) -> delivery.Result | None:
        """The outcome of one attempt, or None when the endpoint's rate limit gave it back."""
        try:
            if job.rate_limit and not await self.loop.run_in_executor(
                self.limiter, ratelimit.allow, job.endpoint_id, job.rate_limit
            ):
                return None
            return await delivery.attempt_async(job, self.client, self.limit, self.timeout, self.require_https)
        except Exception as exc:
            log.exception("attempt of delivery %s crashed", job.delivery_id)
            return delivery.Result(False, error=f"Internal error: {type(exc).__name__}")

    async def _drain(self) -> None:
        await self.queue.join()
        for worker in self.workers:
            worker.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)
        await self.client.close()

    def _record_loop(self) -> None:
        """Record what the event loop finished, in batches (see RECORD_MAX_WAIT and RECORD_BATCH)."""
        try:
            oldest = None  # when the outcomes now waiting started to wait
            while True:
                drained = self.drained.is_set()  # read first: outcomes appended before it are seen below
                if not self.outcomes:
                    if drained:
                        return
                    oldest = None
                    time.sleep(RECORD_INTERVAL)
                    continue
                now = time.monotonic()
                oldest = oldest or now
                if len(self.outcomes) < RECORD_BATCH and now - oldest < RECORD_MAX_WAIT and not drained:
                    time.sleep(RECORD_INTERVAL)
                    continue
                oldest = None
                batch = []
                while self.outcomes and len(batch) < RECORD_BATCH:
                    batch.append(self.outcomes.popleft())
                self._record(batch)
        finally:
            connection.close()  # this thread's own connection

    def _record(self, batch) -> None:
        attempted = [(job, result) for job, result in batch if result is not None]
        limited = [job for job, result in batch if result is None]
        try:
            keep_connection()
            for job in limited:
                release(job, 1.0)
            outcomes.record(attempted)
        except Exception:
            log.exception("could not record %d outcomes; their leases will expire and they will be retried", len(batch))
            connection.close()
        finally:
            for _ in batch:
                self.in_flight.release()
        if self.on_recorded:
            self.on_recorded(attempted)

    def _schedule_loop(self) -> None:
        interval = conf.get("WEBHOOK_SCHEDULER_INTERVAL_SECONDS")
        try:
            self._schedule_until_stopped(interval)
        finally:
            connection.close()  # this thread's own connection

    def _schedule_until_stopped(self, interval: float) -> None:
        while not self.stopping.is_set():
            try:
                keep_connection()
                claimed = claim_due()
                if claimed:
                    self.submit([job_for(d) for d in claimed])
                    continue  # more may be due
            except Exception:
                log.exception("scheduler error")
                connection.close()
            self.stopping.wait(interval)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self.scheduler.is_alive():
            self.scheduler.join(timeout)
        # Let the attempts in flight finish (each is bounded by the delivery timeout), then record them.
        try:
            asyncio.run_coroutine_threadsafe(self._drain(), self.loop).result(timeout + 30)
        except Exception:
            log.exception("delivery loop did not drain; unrecorded deliveries will be retried when their leases expire")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.loop_thread.join(timeout)
        self.limiter.shutdown(wait=True)
        self.drained.set()
        self.recorder.join(timeout)
