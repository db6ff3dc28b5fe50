"""A run's lease: claiming it (one run per workflow at a time), renewing its heartbeat while a worker
works, finishing it (status, events, the pause after repeated failures, the next queued run).

A run resumed elsewhere gets a new lease, so the old holder's next checkpoint fails (`LeaseLost`) and it
stops; the engine (`workflows.engine`) runs the batches between claim and finish.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db import connections as db_connections
from django.utils import timezone

from workflows import conf, lifecycle, live, mappings
from workflows import events as wf_events
from workflows.locking import lock_run
from workflows.models import NodeKind, Run, RunStatus, Trigger
from workflows.status import pluralize_records

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the run over (this one was considered stale): stop without touching it."""


# --- claiming and finishing -------------------------------------------------------------------------------


def _fresh(run: Run) -> bool:
    return bool(run.heartbeat_at) and (timezone.now() - run.heartbeat_at).total_seconds() < conf.STALE_AFTER_SECONDS


def claim(run_id: int) -> str | None:
    """Take the run under a new lease, or return None when it must not run now."""
    with transaction.atomic():
        locked = lock_run(run_id)
        if locked is None:
            return None
        workflow, run = locked
        if run.is_finished:
            return None
        if run.status == RunStatus.RUNNING and run.lease and _fresh(run):
            return None  # a duplicate delivery of a task whose run is alive elsewhere
        if run.retry_at is not None and run.retry_at > timezone.now():
            return None  # a handed-back batch: its own task is queued to start at `retry_at`
        busy = Run.objects.filter(workflow=workflow, status=RunStatus.RUNNING).exclude(pk=run.pk)
        if busy.exists():
            return None  # stays queued; the running one dispatches it when it finishes
        lease = uuid.uuid4().hex
        first_start = run.started_at is None
        run.status = RunStatus.RUNNING
        run.lease = lease
        run.heartbeat_at = timezone.now()
        run.retry_at = None
        run.attempts += 1
        if first_start:
            run.started_at = run.heartbeat_at
            sync = workflow.node(NodeKind.SYNC)
            if sync is not None:
                read_pin, write_pin = mappings.current(sync.read_mapping_id), mappings.current(sync.write_mapping_id)
                run.read_mapping_version_id = read_pin.version_id if read_pin else None
                run.write_mapping_version_id = write_pin.version_id if write_pin else None
        run.save()
        if first_start:
            wf_events.run_event(run, "workflow.run.started")
        live.push_on_commit(workflow.pk)
        return lease


def finish(run_id: int, lease: str, status: str, summary: str = "") -> Run | None:
    with transaction.atomic():
        locked = lock_run(run_id)
        if locked is None:
            return None
        workflow, run = locked
        if run.lease != lease or run.is_finished:
            return None
        if status == RunStatus.SUCCEEDED and run.failed_count:
            handled = run.written_count + run.skipped_count
            status = RunStatus.PARTIAL if handled else RunStatus.FAILED
            summary = summary or _failure_summary(run)
        run.status = status
        run.finished_at = timezone.now()
        run.lease = ""
        run.error_summary = summary[:2000]
        run.save(update_fields=["status", "finished_at", "lease", "error_summary"])
        wf_events.run_event(run, "workflow.run.failed" if status == RunStatus.FAILED else "workflow.run.succeeded")

        # A retry of record errors re-sends records that already failed once: its failures say nothing new
        # about the workflow's health, so they neither count toward the auto-pause nor reset the count.
        counts = run.trigger != Trigger.RETRY
        if counts and status == RunStatus.FAILED:
            workflow.consecutive_failures += 1
        elif counts and status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL):
            workflow.consecutive_failures = 0
        workflow.save(update_fields=["consecutive_failures", "updated_at"])
        limit = workflow.max_consecutive_failures
        if (
            counts
            and status == RunStatus.FAILED
            and limit
            and workflow.consecutive_failures >= limit
            and workflow.enabled
        ):
            reason = f"Paused after {workflow.consecutive_failures} failed runs in a row: {summary[:200]}"
            lifecycle.pause_workflow(workflow, reason=reason)
            wf_events.raise_alert(workflow, f"Workflow {workflow.name!r} paused itself", reason)
        lifecycle.refresh_status(workflow)
        live.push_on_commit(workflow.pk)
        transaction.on_commit(lambda: lifecycle.dispatch_next(workflow.pk))
    return run


def hand_back(run_id: int, lease: str, delay: float, reason: str) -> Run | None:
    """Give a batch that failed transiently back to the run's last durable checkpoint, instead of sleeping
    through the backoff in the worker: the run keeps its place (still running, so later triggers queue behind
    it, but without a lease), says why on its sign, and its task is queued again to start in `delay` seconds
    (Celery's countdown; the task stays `acks_late`). The next claim re-reads the batch from the checkpoint.
    Should that message be lost, the stale sweeper resumes the run once `retry_at` is STALE_AFTER old."""
    with transaction.atomic():
        locked = lock_run(run_id)
        if locked is None:
            return None
        workflow, run = locked
        if run.lease != lease or run.status != RunStatus.RUNNING:
            return None
        now = timezone.now()
        run.lease = ""
        run.retries += 1
        run.heartbeat_at = now
        run.retry_at = now + timedelta(seconds=delay)
        run.error_summary = reason[:2000]
        run.save(update_fields=["lease", "retries", "heartbeat_at", "retry_at", "error_summary"])
        lifecycle.refresh_status(workflow)
        live.push_on_commit(workflow.pk)
        if not lifecycle.tasks_inline():  # inline, the caller runs the retry itself (`engine.execute_run`)
            lifecycle.queue_run_on_commit(run.pk, countdown=delay)
    return run


def _failure_summary(run: Run) -> str:
    first = run.record_errors.order_by("pk").first()
    text = f"{run.failed_count} {pluralize_records(run.failed_count)} rejected"
    return f"{text}; first: {first.trace_key}: {first.message}" if first else text


class Heartbeat:
    """Renews a claimed run's heartbeat from a side thread every `conf.HEARTBEAT_SECONDS` while the worker
    works, so a batch slower than the stale threshold (a slow vendor, backoff) never passes for a dead worker,
    and the threshold can be short enough for a killed worker's run to resume within a minute. The renewal is
    guarded by the lease: once another worker took the run over, the beat stops."""

    def __init__(self, run_id: int, lease: str, every: float | None = None):
        self.run_id, self.lease = run_id, lease
        self.every = every if every is not None else conf.HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=max(self.every, 5))

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    renewed = Run.objects.filter(pk=self.run_id, lease=self.lease, status=RunStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:  # the next beat tries again; the batch commit also renews
                    log.warning("Run %s: heartbeat failed: %s", self.run_id, exc)
                    continue
                if not renewed:
                    return  # finished, or taken over (the executor's next checkpoint stops it)
        finally:
            db_connections.close_all()
