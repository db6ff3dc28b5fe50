"""The delivery engine of one consumer process: claims, a pool of HTTP threads, a batch recorder.

Deliveries are claimed with a conditional UPDATE (a lease: `claim_token` + `claimed_until`), so any
number of processes can run this; a process that dies simply lets its leases expire and another one
retries those deliveries. Retries wait in the database (`next_attempt_at`), not in Kafka: Kafka
partitions keep flowing while a slow endpoint waits hours, Retry-After can be honoured exactly, and
every attempt is already a row. The scheduler thread picks up due retries every interval.
"""

from __future__ import annotations

import logging
import queue
import secrets as pysecrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from webhooks import conf, delivery, outcomes, ratelimit
from webhooks.models import Delivery, DeliveryAttempt

log = logging.getLogger("webhooks.dispatcher")


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
        published_at=message.published_at.timestamp() if message.published_at else None,
    )


def release(job: delivery.Job, delay_seconds: float) -> None:
    """Give a claimed delivery back without an attempt (rate limited), due again after the delay."""
    Delivery.objects.filter(pk=job.delivery_id, claim_token=job.claim_token).update(
        claimed_until=None, claim_token="", next_attempt_at=timezone.now() + timedelta(seconds=delay_seconds)
    )


class Dispatcher:
    """Runs attempts in threads and records outcomes in batches from one recorder thread."""

    def __init__(self, threads: int | None = None, max_in_flight: int | None = None, on_recorded=None):
        self.threads = threads or conf.get("WEBHOOK_DELIVERY_THREADS")
        self.client = delivery.make_client(self.threads)
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="webhook-delivery")
        self.results: queue.Queue = queue.Queue()
        self.in_flight = threading.BoundedSemaphore(max_in_flight or self.threads * 64)
        self.stopping = threading.Event()
        self.on_recorded = on_recorded
        self.recorder = threading.Thread(target=self._record_loop, name="webhook-recorder", daemon=True)
        self.scheduler = threading.Thread(target=self._schedule_loop, name="webhook-scheduler", daemon=True)

    def start(self, scheduler: bool = True) -> Dispatcher:
        self.recorder.start()
        if scheduler:
            self.scheduler.start()
        return self

    def submit(self, jobs: list[delivery.Job]) -> None:
        for job in jobs:
            self.in_flight.acquire()
            self.pool.submit(self._run, job)

    def _run(self, job: delivery.Job) -> None:
        try:
            if job.rate_limit and not ratelimit.allow(job.endpoint_id, job.rate_limit):
                self.results.put((job, None))
                return
            result = delivery.attempt(job, self.client)
        except Exception as exc:
            log.exception("attempt of delivery %s crashed", job.delivery_id)
            result = delivery.Result(False, error=f"Internal error: {type(exc).__name__}")
        self.results.put((job, result))

    def _record_loop(self) -> None:
        while not (self.stopping.is_set() and self.results.empty()):
            batch = []
            try:
                batch.append(self.results.get(timeout=0.2))
            except queue.Empty:
                continue
            deadline = time.monotonic() + 0.05
            while len(batch) < 1000 and time.monotonic() < deadline:
                try:
                    batch.append(self.results.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            self._record(batch)

    def _record(self, batch) -> None:
        attempted = [(job, result) for job, result in batch if result is not None]
        limited = [job for job, result in batch if result is None]
        try:
            close_old_connections()
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
        while not self.stopping.is_set():
            try:
                close_old_connections()
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
        self.pool.shutdown(wait=True)
        self.recorder.join(timeout)
        if self.scheduler.is_alive():
            self.scheduler.join(timeout)
        self.client.close()
