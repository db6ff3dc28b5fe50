"""The delivery engine of one consumer process: claims, an asyncio delivery loop, a batch recorder.

Attempts run on one event loop in its own thread, through the asyncio side of the hardened client
(`ekyam.http_async.AsyncHttpClient`, on libcurl): WEBHOOK_DELIVERY_CONCURRENCY worker coroutines per
process, so at most that many attempts are in flight. One loop keeps hundreds of requests in flight
on keep-alive connections for the cost of one thread; a pool of blocking threads spent most of its
time in per-request overhead and contention for the interpreter lock. The database stays in
ordinary threads: the consumer stores and claims, the recorder writes outcomes in batches.

Deliveries are claimed with `SELECT … FOR UPDATE SKIP LOCKED` and a conditional UPDATE (a lease:
`claim_token` + `claimed_until`), so any number of processes can run this; a process that dies
simply lets its leases expire and another one retries those deliveries. Retries wait in the database (`next_attempt_at`), not in Kafka: Kafka
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ekyam.db import keep_connection
from ekyam.events import tracing
from webhooks import conf, delivery, outcomes, ratelimit
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

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
    """Due and not leased, on the delivery row itself (a condition PostgreSQL re-checks on the
    newest row version after waiting for a lock; a join is not re-evaluated that way)."""
    return Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING], next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim_due(limit: int = 500, skip_endpoints: Iterable[int] = ()) -> list[Delivery]:
    """Claim up to `limit` due deliveries of active endpoints for this process (none of
    `skip_endpoints`: their queues here are full). Exclusive between any number of claimers: the
    rows are picked with `FOR UPDATE SKIP LOCKED` (a row another transaction is claiming is
    skipped, never waited for, so claimers neither double-claim nor deadlock), and the UPDATE
    re-checks the due conditions on the row under its lock."""
    now = timezone.now()
    token = new_claim_token()
    lease = timedelta(seconds=conf.get("WEBHOOK_CLAIM_LEASE_SECONDS"))
    active = Endpoint.objects.filter(is_active=True).values("pk")
    # An ordered endpoint's delivery waits while an earlier message of its entity is not done there.
    earlier_open = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
        message__organization_id=OuterRef("organization_id"),
        message__event_key=OuterRef("message__event_key"),
        message_id__lt=OuterRef("message_id"),
    )
    with transaction.atomic():
        candidates = Delivery.objects.filter(due_filter(now), endpoint_id__in=active).filter(
            Q(endpoint__ordered=False) | Q(message__event_key="") | ~Exists(earlier_open)
        )
        if skip_endpoints:
            candidates = candidates.exclude(endpoint_id__in=list(skip_endpoints))
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids = list(candidates.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
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
        body=delivery.encode_body(message.body),
        number=d.attempt_count + 1,
        schedule_index=schedule_index,
        claim_token=d.claim_token,
        trigger=trigger,
        **delivery.addressing(endpoint, message),
    )


def release(job: delivery.Job, delay_seconds: float) -> None:
    """Give a claimed delivery back without an attempt (rate limited), due again after the delay."""
    Delivery.objects.filter(pk=job.delivery_id, claim_token=job.claim_token).update(
        claimed_until=None, claim_token="", next_attempt_at=timezone.now() + timedelta(seconds=delay_seconds)
    )


def release_unattempted(jobs: list[delivery.Job]) -> None:
    """Give claimed deliveries back as they are (still due): another claim may take them at once."""
    by_token: dict[str, list[int]] = collections.defaultdict(list)
    for job in jobs:
        by_token[job.claim_token].append(job.delivery_id)
    for token, ids in by_token.items():
        Delivery.objects.filter(pk__in=ids, claim_token=token).update(claimed_until=None, claim_token="")


def renew_leases(tokens: list[str]) -> int:
    """Extend the leases of the deliveries still held under these claims (queued or in flight here)."""
    if not tokens:
        return 0
    until = timezone.now() + timedelta(seconds=conf.get("WEBHOOK_CLAIM_LEASE_SECONDS"))
    return Delivery.objects.filter(
        claim_token__in=tokens, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
    ).update(claimed_until=until)


def endpoint_concurrency(concurrency: int, configured: int | None = None) -> int:
    """Attempts in flight at once to one endpoint, per process: the endpoint's own setting, else
    WEBHOOK_ENDPOINT_CONCURRENCY, else three quarters of the process's attempts, so one endpoint
    that hangs always leaves room for the others; never more than the process runs."""
    default = conf.get("WEBHOOK_ENDPOINT_CONCURRENCY") or max(1, concurrency * 3 // 4)
    return max(1, min(concurrency, configured or default))


# An outcome that is no attempt: the job was dropped unattempted (its endpoint was disabled, or
# the process is stopping) and its claim is given back.
DROPPED = "dropped"


class _Lane:
    """One endpoint's queue on the event loop: its waiting jobs and its attempts in flight."""

    __slots__ = ("jobs", "active", "limit", "offered")

    def __init__(self, limit: int):
        self.jobs: collections.deque = collections.deque()
        self.active = 0
        self.limit = limit
        self.offered = False  # waiting in the ready queue

    def has_room(self) -> bool:
        return bool(self.jobs) and self.active < self.limit


class Dispatcher:
    """Runs attempts on an event loop thread and records outcomes in batches from one recorder thread.

    Each endpoint has its own lane: a queue and a bound on its attempts in flight
    (`endpoint_concurrency`). Workers take jobs from the lanes in turn, so a slow or failing
    endpoint only delays its own messages; a lane holds at most WEBHOOK_ENDPOINT_QUEUE_LIMIT jobs
    and what does not fit is given back to the database, where the scheduler claims it when the
    lane has room. While jobs wait or run, their leases are renewed; a disabled endpoint's queued
    jobs are dropped within a scheduler interval; `stop` finishes within the attempt timeout.
    """

    def __init__(
        self, concurrency: int | None = None, max_in_flight: int | None = None, on_recorded=None, should_stop=None
    ):
        # The number of concurrent attempts: worker coroutines on the one event loop thread.
        self.concurrency = concurrency or conf.get("WEBHOOK_DELIVERY_CONCURRENCY")
        self.outcomes: collections.deque = collections.deque()  # (job, result) the recorder has not taken yet
        # Bounds jobs handed over but not yet recorded: `submit` blocks the consumer when delivery
        # falls behind, so memory stays bounded and Kafka keeps the backlog.
        max_in_flight = max_in_flight or self.concurrency * 64
        self.in_flight = threading.BoundedSemaphore(max_in_flight)
        self.lane_limit = conf.get("WEBHOOK_ENDPOINT_QUEUE_LIMIT") or max(1, max_in_flight // 2)
        # Jobs handed over and not yet recorded, per endpoint and per claim token (for renewals).
        self.held: collections.Counter = collections.Counter()
        self.tokens: collections.Counter = collections.Counter()
        self.held_lock = threading.Lock()
        self.stopping = threading.Event()
        self.should_stop = should_stop or (lambda: False)  # the process is stopping (e.g. SIGTERM)
        self.drained = threading.Event()  # no attempt is running any more: the recorder may finish
        self.on_recorded = on_recorded
        self.loop = new_event_loop()
        self.loop_thread = threading.Thread(target=self._loop_main, name="webhook-delivery", daemon=True)
        self.loop_ready = threading.Event()
        # Rate-limit checks talk to the cache synchronously; they run here, off the event loop.
        self.limiter = ThreadPoolExecutor(2, thread_name_prefix="webhook-ratelimit")
        self.recorder = threading.Thread(target=self._record_loop, name="webhook-recorder", daemon=True)
        self.scheduler = threading.Thread(target=self._schedule_loop, name="webhook-scheduler", daemon=True)
        self.keeper = threading.Thread(target=self._keep_loop, name="webhook-leases", daemon=True)

    def start(self, scheduler: bool = True) -> Dispatcher:
        self.loop_thread.start()
        self.loop_ready.wait()
        self.recorder.start()
        self.keeper.start()
        if scheduler:
            self.scheduler.start()
        return self

    # --- the event loop thread ---------------------------------------------------------------

    def _loop_main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.client = delivery.make_async_client(self.concurrency)
        self.limit = conf.get("WEBHOOK_RESPONSE_BODY_LIMIT")
        self.timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")
        self.require_https = conf.get("WEBHOOK_REQUIRE_HTTPS")
        self.lanes: dict[int, _Lane] = {}
        self.deadline: float | None = None  # loop time by which `stop` ends every attempt
        self.active = 0
        self.idle = asyncio.Event()
        self.idle.set()
        # Lanes with a job and room for it; a fixed set of workers bounds the attempts in flight
        # (cheaper than a task per job).
        self.ready: asyncio.Queue = asyncio.Queue()
        self.workers = [self.loop.create_task(self._work()) for _ in range(self.concurrency)]
        self.loop_ready.set()
        self.loop.run_forever()

    def submit(self, jobs: list[delivery.Job]) -> None:
        """Hand jobs to the event loop (thread-safe); blocks while too many are unrecorded. Jobs
        of an endpoint whose lane is full are given back to the database (still due)."""
        accepted, overflow = [], []
        with self.held_lock:
            for job in jobs:
                if self.held[job.endpoint_id] >= self.lane_limit:
                    overflow.append(job)
                    continue
                self.held[job.endpoint_id] += 1
                self.tokens[job.claim_token] += 1
                accepted.append(job)
        if overflow:
            release_unattempted(overflow)
        pending: list[delivery.Job] = []
        for index, job in enumerate(accepted):
            if not self.in_flight.acquire(blocking=False):
                # Full: start what we hold so far (its outcomes free slots), then wait for a slot.
                self._hand_over(pending)
                pending = []
                while not self.in_flight.acquire(timeout=0.2):
                    if self.stopping.is_set() or self.should_stop():  # give the rest back, do not wait
                        self._forget(accepted[index:])
                        release_unattempted(accepted[index:])
                        return
            pending.append(job)
        self._hand_over(pending)

    def _forget(self, jobs: list[delivery.Job]) -> None:
        with self.held_lock:
            for job in jobs:
                self.held[job.endpoint_id] -= 1
                if self.held[job.endpoint_id] <= 0:
                    del self.held[job.endpoint_id]
                self.tokens[job.claim_token] -= 1
                if self.tokens[job.claim_token] <= 0:
                    del self.tokens[job.claim_token]

    def full_endpoints(self) -> list[int]:
        with self.held_lock:
            return [endpoint_id for endpoint_id, count in self.held.items() if count >= self.lane_limit]

    def _hand_over(self, jobs: list[delivery.Job]) -> None:
        if jobs:
            self.loop.call_soon_threadsafe(self._enqueue, jobs)

    def _enqueue(self, jobs: list[delivery.Job]) -> None:
        for job in jobs:
            lane = self.lanes.get(job.endpoint_id)
            if lane is None:
                lane = self.lanes[job.endpoint_id] = _Lane(endpoint_concurrency(self.concurrency, job.concurrency))
            else:
                lane.limit = endpoint_concurrency(self.concurrency, job.concurrency)
            lane.jobs.append(job)
            self._offer(lane)

    def _offer(self, lane: _Lane) -> None:
        if not lane.offered and lane.has_room():
            lane.offered = True
            self.ready.put_nowait(lane)

    def _drop(self, endpoint_ids) -> None:
        """Drop the queued (not yet started) jobs of these endpoints, or of all with None."""
        for endpoint_id, lane in list(self.lanes.items()):
            if endpoint_ids is None or endpoint_id in endpoint_ids:
                while lane.jobs:
                    self.outcomes.append((lane.jobs.popleft(), DROPPED))

    async def _work(self) -> None:
        while True:
            lane = await self.ready.get()
            lane.offered = False
            if not lane.has_room():
                continue
            job = lane.jobs.popleft()
            lane.active += 1
            self.active += 1
            self.idle.clear()
            self._offer(lane)  # to the back of the ready queue: lanes take turns
            try:
                # A deque append is atomic: no lock and no wake-up per attempt (a thread-safe queue's
                # lock and notify cost the event loop more than a twentieth of the process).
                self.outcomes.append((job, await self._attempt(job)))
            finally:
                lane.active -= 1
                self.active -= 1
                if not lane.jobs and not lane.active and self.lanes.get(job.endpoint_id) is lane:
                    del self.lanes[job.endpoint_id]
                else:
                    self._offer(lane)
                if not self.active:
                    self.idle.set()

    async def _attempt(self, job: delivery.Job) -> delivery.Result | None:
        """The outcome of one attempt, or None when the endpoint's rate limit gave it back."""
        try:
            if job.rate_limit and not await self.loop.run_in_executor(
                self.limiter, ratelimit.allow, job.endpoint_id, job.rate_limit
            ):
                return None
            timeout = job.timeout or self.timeout
            if self.deadline is not None:  # stopping: every attempt ends by the deadline
                timeout = max(0.1, min(timeout, self.deadline - self.loop.time()))
            if job.traceparent:
                return await self._traced_attempt(job, timeout)
            return await delivery.attempt_async(job, self.client, self.limit, timeout, self.require_https)
        except Exception as exc:
            log.exception("attempt of delivery %s crashed", job.delivery_id)
            return delivery.Result(False, error=f"Internal error: {type(exc).__name__}")

    async def _traced_attempt(self, job: delivery.Job, timeout: float) -> delivery.Result:
        """An attempt of a traced message: a client span continuing the message's trace, whose
        context the endpoint receives (the message's own when tracing is off in this process)."""
        span = tracing.start(
            "POST",
            job.traceparent,
            "CLIENT",
            {
                "http.request.method": "POST",
                "server.address": urlsplit(job.url).hostname or "",
                "ekyam.endpoint.id": job.endpoint_id,
                "ekyam.delivery.id": job.delivery_id,
                "ekyam.attempt.number": job.number,
                "ekyam.event.type": job.event_type,
                "ekyam.attempt.trigger": job.trigger,
            },
        )
        header = tracing.traceparent_of(span) if span is not None else job.traceparent
        result = await delivery.attempt_async(job, self.client, self.limit, timeout, self.require_https, header)
        tracing.finish(
            span,
            error="" if result.ok else (result.error or f"HTTP {result.status_code}"),
            attributes={"http.response.status_code": result.status_code},
        )
        return result

    async def _drain(self, within: float) -> None:
        """Go on attempting queued jobs for `within` seconds (attempts end by then), then drop
        what is still queued and wait for the attempts in flight."""
        self.deadline = self.loop.time() + within
        while self.loop.time() < self.deadline and (self.active or any(lane.jobs for lane in self.lanes.values())):
            await asyncio.sleep(0.02)
        self._drop(None)
        try:
            await asyncio.wait_for(self.idle.wait(), timeout=1.0)
        except TimeoutError:
            log.warning("%d attempts still running at shutdown; their leases will expire", self.active)
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
        attempted = [(job, result) for job, result in batch if result is not None and result is not DROPPED]
        limited = [job for job, result in batch if result is None]
        dropped = [job for job, result in batch if result is DROPPED]
        try:
            keep_connection()
            for job in limited:
                release(job, 1.0)
            if dropped:
                release_unattempted(dropped)
            outcomes.record(attempted)
        except Exception:
            log.exception("could not record %d outcomes; their leases will expire and they will be retried", len(batch))
            connection.close()
        finally:
            self._forget([job for job, _ in batch])
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
                claimed = claim_due(skip_endpoints=self.full_endpoints())
                if claimed:
                    self.submit([job_for(d) for d in claimed])
                    continue  # more may be due
            except Exception:
                log.exception("scheduler error")
                connection.close()
            self.stopping.wait(interval)

    def _keep_loop(self) -> None:
        """Renew the leases of what this process holds; drop the queued jobs of disabled endpoints."""
        interval = conf.get("WEBHOOK_SCHEDULER_INTERVAL_SECONDS")
        renew_every = conf.get("WEBHOOK_CLAIM_LEASE_SECONDS") / 3
        renewed = time.monotonic()
        try:
            while not self.drained.wait(interval):
                try:
                    with self.held_lock:
                        endpoint_ids, tokens = list(self.held), list(self.tokens)
                    if not endpoint_ids:
                        continue
                    keep_connection()
                    disabled = set(
                        Endpoint.objects.filter(pk__in=endpoint_ids, is_active=False).values_list("pk", flat=True)
                    )
                    if disabled:
                        self.loop.call_soon_threadsafe(self._drop, disabled)
                    if time.monotonic() - renewed >= renew_every:
                        renew_leases(tokens)
                        renewed = time.monotonic()
                except Exception:
                    log.exception("lease keeper error")
                    connection.close()
        finally:
            connection.close()

    def stop(self, timeout: float | None = None) -> None:
        """Stop within the attempt timeout (or `timeout` seconds): queued jobs go on being attempted
        until then, each attempt ends by then, what is left is given back and everything recorded."""
        within = timeout if timeout is not None else conf.get("WEBHOOK_TIMEOUT_SECONDS")
        self.stopping.set()
        if self.scheduler.is_alive():
            self.scheduler.join(within)
        try:
            asyncio.run_coroutine_threadsafe(self._drain(within), self.loop).result(within + 10)
        except Exception:
            log.exception("delivery loop did not drain; unrecorded deliveries will be retried when their leases expire")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.loop_thread.join(10)
        self.limiter.shutdown(wait=True)
        self.drained.set()
        self.recorder.join(within + 10)
        self.keeper.join(10)
