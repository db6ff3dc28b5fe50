"""The sync engine: one run, batch by batch.

    claim (lease) → read a page from the checkpoint → read mapping → write mapping → skip what the lineage
    ledger already has → write → lineage, record errors, counts, checkpoint, events (one transaction, guarded
    by the lease) → live push on commit → … → finish

Safety properties:
- one run per workflow at a time: claiming locks the workflow row and refuses while another run holds a
  fresh lease; the finished run dispatches the next queued one;
- a batch's results and the cursor after it commit together, so a killed worker resumes from the last
  durable batch; records written to the vendor but not yet committed here are re-sent under the same
  keys, and the connectors' writers are idempotent on those keys;
- a run resumed elsewhere gets a new lease, so the old holder's next checkpoint fails and it stops;
- a batch that fails transiently (timeouts, 429, 5xx that outlast the hardened client's retries) is handed
  back to the last checkpoint (`leases.hand_back`): the worker does not sleep through the backoff, the task
  is queued again with a countdown and the next claim re-reads the batch. Worst case per batch:
  1 + RETRY_ATTEMPTS claims (5 by default) × 5 HTTP attempts per call (`ekyam/http.py`) = 25 attempts of one
  call, after which the run fails (or, for a targeted run, the unread records become record errors).

Claiming, the heartbeat and finishing are `workflows.leases`; this module is the run loop between them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from connectors.actions import build_connector
from connectors.base import ConnectorError, Page, ReadFailure, TransientError, WriteResult
from ekyam.events import tracing
from workflows import conf, lifecycle, live, mappings, outcomes, record_errors, screening, sinks
from workflows import events as wf_events
from workflows.leases import Heartbeat, LeaseLost, claim, finish, hand_back
from workflows.models import (
    INCREMENTAL_TRIGGERS,
    Builtin,
    ErrorClass,
    Lineage,
    OutcomeKind,
    RecordError,
    RecordErrorStatus,
    Run,
    RunStatus,
    StreamCursor,
    Trigger,
    Workflow,
)

log = logging.getLogger(__name__)


class RunFailed(Exception):
    """The run cannot go on (authentication, destination down after retries, bad configuration)."""


class HandBack(Exception):
    """A batch failed transiently and has retries left: the run goes back to its checkpoint and its task is
    queued again in `delay` seconds (`leases.hand_back`)."""

    def __init__(self, delay: float, reason: str):
        super().__init__(reason)
        self.delay, self.reason = delay, reason


@dataclass
class Outcome:
    """What one batch produced, committed in one transaction."""

    read: int = 0
    mapped: int = 0
    requests: int = 0
    lineage: dict = field(default_factory=dict)  # source_key -> Lineage (unsaved)
    skipped_keys: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # dicts for RecordError
    synced: list = field(default_factory=list)  # (source_key, destination dict, standard record)
    explained: dict = field(default_factory=dict)  # source_key -> (OutcomeKind, reason, destination id)


def _backoff(attempt: int, retry_after: float | None = None) -> float:
    delay = min(conf.RETRY_BACKOFF_SECONDS * (2**attempt), conf.RETRY_BACKOFF_MAX_SECONDS)
    return max(delay, retry_after or 0)


def classify(error: ConnectorError | None) -> str:
    if error is None:
        return ErrorClass.PERMANENT
    if error.code in ErrorClass.values:
        return error.code
    return ErrorClass.PERMANENT if error.permanent else ErrorClass.TRANSIENT


# --- the run loop -------------------------------------------------------------------------------------------


class RunExecutor:
    def __init__(self, run: Run, lease: str):
        self.run = run
        self.lease = lease
        # A retry reason is shown on the run and the workflow's sign (a handed-back run resumes with it).
        self.troubled = bool(run.error_summary)
        self.page_progressed = True  # the page being processed read something new (see `_pages`)
        self.workflow = Workflow.objects.select_related("organization").get(pk=run.workflow_id)
        nodes = self.workflow.runnable_nodes()
        if nodes is None:
            raise RunFailed(Workflow.INCOMPLETE_DIAGRAM)
        self.source, self.sync, self.destination = nodes
        self.read_map = mappings.pinned(run.read_mapping_version_id)
        if self.read_map is None:
            raise RunFailed(f"{self.sync.label} has no read mapping (or its version was deleted).")
        self.standard = self.read_map.standard
        self.write_map = mappings.pinned(run.write_mapping_version_id)
        self.source_connector = build_connector(self.source.connection)
        if self.destination.builtin == Builtin.SHIPMENT_LEDGER:
            self.sink = sinks.ShipmentLedgerSink(self.workflow, self.source_connector.slug)
        elif self.destination.connection is None:
            raise RunFailed(f"{self.destination.label} has no connection.")
        else:
            if self.write_map is None:
                raise RunFailed(f"{self.sync.label} has no write mapping (or its version was deleted).")
            self.sink = sinks.ConnectionSink(build_connector(self.destination.connection), self.destination.stream)
        self.named_destination = outcomes.destination_of(self)

    # --- reading --------------------------------------------------------------------------------------------
    def _start_cursor(self) -> str | None:
        if self.run.batches:
            return self.run.checkpoint
        if self.run.trigger in INCREMENTAL_TRIGGERS:
            row = StreamCursor.objects.filter(workflow=self.workflow, stream=self.source.stream).first()
            return row.cursor if row else None
        if self.run.trigger == Trigger.BACKFILL and self.run.params.get("since"):
            hook = getattr(self.source_connector, "cursor_from_date", None)
            if callable(hook):
                return hook(self.source.stream, self.run.params["since"])
        return None

    def _pages(self):
        """Source pages from the last durable checkpoint; transient read failures retry with backoff."""
        if self.run.trigger == Trigger.RETRY:
            yield from self._retry_pages()
            return
        ids = self.run.params.get("record_ids") if self.run.trigger == Trigger.EVENT else None
        cursor = self.run.checkpoint if self.run.batches else self._start_cursor()
        reader = self.source_connector.read(
            self.source.stream, cursor=cursor, page_size=self.workflow.page_size, ids=ids or None
        )
        try:
            for page in reader:
                # Only progress resets the run's retry count (at the batch's commit): a page that re-reads the
                # overlap window and finds nothing new leaves the cursor where it was, and must not buy another
                # round of retries (an unreadable stretch would otherwise stall the run forever).
                self.page_progressed = bool(page.records or page.failures or page.cursor != cursor)
                cursor = page.cursor
                yield page
                if page.done:
                    return
        except TransientError as exc:
            if self.run.retries >= conf.RETRY_ATTEMPTS and ids:
                # A targeted run never drops its events: the records it could not read become record errors
                # (retryable by id) instead of vanishing with a failed run.
                self.page_progressed = True
                yield self._unread_page(ids, exc, self.run.retries + 1)
                return
            self._retry_later(exc, f"Reading {self.source.stream}")
        except ConnectorError as exc:
            raise RunFailed(f"Reading {self.source.connection.name} {self.source.stream} failed: {exc.message}")

    def _retry_later(self, exc: TransientError, what: str, retry_after: float | None = None) -> None:
        """Hand the batch back to the checkpoint while retries are left (raises HandBack), else fail the run."""
        attempt = self.run.retries
        if attempt >= conf.RETRY_ATTEMPTS:
            raise RunFailed(f"{what} failed after {attempt + 1} attempts: {exc.message}")
        delay = _backoff(attempt, retry_after if retry_after is not None else exc.retry_after)
        raise HandBack(
            delay,
            f"{what} failed (attempt {attempt + 1} of {conf.RETRY_ATTEMPTS + 1}), retrying in {delay:.1f} s: "
            f"{exc.message}",
        )

    def _unread_page(self, ids: list, exc: TransientError, attempts: int) -> Page:
        connector_cls = type(self.source_connector)
        keys = {sinks.record_key(connector_cls, self.source.stream, {"id": str(i)})[0]: str(i) for i in ids}
        done = set(
            Lineage.objects.filter(workflow=self.workflow, run=self.run, source_key__in=list(keys)).values_list(
                "source_key", flat=True
            )
        )
        error = TransientError(f"{exc.message} (after {attempts} attempts)", code=exc.code, status=exc.status)
        failures = [ReadFailure(source_id, error) for key, source_id in keys.items() if key not in done]
        return Page([], self.run.checkpoint, done=True, requests=0, failures=failures)

    def _retry_pages(self):
        ids = self.run.params.get("record_error_ids") or []
        errors = list(RecordError.objects.filter(workflow=self.workflow, pk__in=ids).order_by("pk"))
        # A record that could not be read has no payload to retry: it is read again, by id.
        unread = [e for e in errors if e.edited_payload is None and (e.details or {}).get("unread")]
        records = [
            e.edited_payload if e.edited_payload is not None else e.source_payload for e in errors if e not in unread
        ]
        size = self.workflow.page_size
        payload_batches = -(-len(records) // size)
        for start in range(self.run.batches * size, len(records), size):
            chunk = records[start : start + size]
            done = start + size >= len(records) and not unread
            yield Page(records=chunk, cursor=None, done=done, requests=0)
        if unread and self.run.batches <= payload_batches:
            source_ids = [str(e.details["source_id"]) for e in unread]
            try:
                yield from self.source_connector.read(self.source.stream, cursor=None, page_size=size, ids=source_ids)
            except ConnectorError as exc:
                raise RunFailed(f"Reading {self.source.stream} {', '.join(source_ids)} again failed: {exc.message}")

    # --- one batch ------------------------------------------------------------------------------------------
    def process(self, records: list[dict], failures=()) -> Outcome:
        out = Outcome(read=len(records))
        connector_cls = type(self.source_connector)
        for failure in failures:
            key, source_id = sinks.record_key(connector_cls, self.source.stream, {"id": failure.source_id})
            out.errors.append(
                {
                    "key": key,
                    "raw": {"id": source_id},
                    "stage": "read",
                    "class": classify(failure.error),
                    "message": f"Could not read {self.source.stream} {source_id}: {failure.error.message}",
                    "details": {**failure.error.as_dict(), "unread": True, "source_id": source_id},
                }
            )
        staged: dict[str, tuple] = {}  # source_key -> (source_id, raw, standard, payload, hash); last wins
        for raw in records:
            key, source_id = sinks.record_key(connector_cls, self.source.stream, raw)
            nul_at = screening.nul_paths(raw)
            if nul_at:
                message, details = screening.nul_error(nul_at)
                key = key.replace(screening.NUL, screening.REPLACEMENT)
                out.errors.append(
                    {
                        "key": key,
                        "raw": screening.scrub(raw),
                        "stage": "read",
                        "class": ErrorClass.VALIDATION,
                        "message": message,
                        "details": details,
                    }
                )
                continue
            result = self.read_map.compiled.apply(raw)
            if result.errors or result.output is None:
                out.errors.append(record_errors.from_mapping(key, raw, "read_mapping", result.errors))
                continue
            standard = result.output
            payload = standard
            if self.write_map is not None and not self.destination.builtin:
                written = self.write_map.compiled.apply(standard)
                if written.errors or written.output is None:
                    out.errors.append(record_errors.from_mapping(key, raw, "write_mapping", written.errors))
                    continue
                payload = written.output
            out.mapped += 1
            staged[key] = (source_id, raw, standard, payload, sinks.content_hash(payload))

        known = {
            row.source_key: row
            for row in Lineage.objects.filter(workflow=self.workflow, source_key__in=list(staged)).only(
                "source_key", "content_hash", "destination_id", "run_id"
            )
        }
        pending = []
        for key, item in staged.items():
            if key in known and known[key].content_hash == item[4] and known[key].run_id == self.run.pk:
                # This run already wrote exactly this (before its batch was handed back, or on an earlier
                # page of an overlapping read): explained then, so not again as "unchanged".
                continue
            if key in known and known[key].content_hash == item[4]:
                out.skipped_keys.append(key)  # idempotency ledger: exactly this payload was written before
                reason = outcomes.same_content(self.named_destination, known[key])
                out.explained[key] = (OutcomeKind.UNCHANGED, reason, known[key].destination_id)
            else:
                pending.append((key, *item))
        self._write(pending, out)
        return out

    def _write(self, pending: list, out: Outcome) -> None:
        """Write the batch. A transient failure, of the call or of some records, hands the batch back to the
        checkpoint while retries are left (what some records' failure did not stop is kept first, see
        `keep_written`); after the last retry, failed records become record errors."""
        if not pending:
            return
        what = f"Writing to {self.destination.label}"
        context = {"run_id": self.run.pk, "keys": [p[0] for p in pending], "source_ids": [p[1] for p in pending]}
        try:
            results = self.sink.write([p[4] for p in pending], context=context)
        except TransientError as exc:
            self._retry_later(exc, what)
        except ConnectorError as exc:
            raise RunFailed(f"{what} failed: {exc.message}")
        retries_left = self.run.retries < conf.RETRY_ATTEMPTS
        transient = [r.error for r in results if not r.ok and r.error is not None and not r.error.permanent]
        if transient and retries_left:
            if self.run.trigger != Trigger.RETRY:  # a retry's batches are counted by index: it re-sends them whole
                kept = Outcome()
                for item, result in zip(pending, results, strict=True):
                    if result.ok:
                        self._stage_success(item, result, kept)
                if kept.lineage:
                    self.keep_written(kept)
            worst = max((e.retry_after or 0 for e in transient), default=0)
            first = transient[0]
            self._retry_later(
                TransientError(f"{len(transient)} of {len(results)} records: {first.message}", code=first.code),
                what,
                retry_after=worst,
            )
        for item, result in zip(pending, results, strict=True):
            if result.ok:
                self._stage_success(item, result, out)
                continue
            key, _source_id, raw = item[0], item[1], item[2]
            error = result.error
            out.errors.append(
                {
                    "key": key,
                    "raw": raw,
                    "stage": "write",
                    "class": classify(error),
                    "message": error.message if error else "The destination rejected the record.",
                    "details": error.as_dict() if error else {},
                }
            )

    def _stage_success(self, item, result: WriteResult, out: Outcome) -> None:
        key, source_id, _raw, standard, _payload, digest = item
        kind, reason = outcomes.from_write(self.named_destination, result)
        out.explained[key] = (kind, reason, result.destination_id)
        if result.action == "skipped" and not result.destination_id:
            out.skipped_keys.append(key)
            return
        out.lineage[key] = Lineage(
            organization_id=self.workflow.organization_id,
            workflow=self.workflow,
            run=self.run,
            source_key=key,
            source_system=self.source_connector.slug,
            source_id=source_id,
            destination_system=self.sink.system,
            destination_stream=self.destination.stream,
            destination_id=str(result.destination_id or ""),
            read_mapping_version_id=self.run.read_mapping_version_id,
            write_mapping_version_id=self.run.write_mapping_version_id,
            content_hash=digest,
            action=result.action,
        )
        if kind == OutcomeKind.UNCHANGED:  # also a record superseded by a later one in the batch
            out.skipped_keys.append(key)
        else:
            destination = {"system": self.sink.system, "id": result.destination_id, "action": result.action}
            out.synced.append((key, destination, standard))

    # --- commit ---------------------------------------------------------------------------------------------
    def commit(self, out: Outcome, cursor: str | None) -> None:
        """The batch's results and the cursor after it, in one transaction guarded by the lease."""
        updates = {
            "checkpoint": cursor,
            "batches": F("batches") + 1,
            "read_count": F("read_count") + out.read,
            "mapped_count": F("mapped_count") + out.mapped,
            "skipped_count": F("skipped_count") + len(out.skipped_keys),
            "failed_count": F("failed_count") + len(out.errors),
            "requests_count": F("requests_count") + out.requests,
        }
        if self.page_progressed:  # the batch moved on: the next transient failure starts a fresh count
            updates["retries"] = 0
        if self.troubled:
            updates["error_summary"] = ""
        incremental = self.run.trigger in INCREMENTAL_TRIGGERS and cursor is not None
        self._store(out, updates, stream_cursor=cursor if incremental else None)

    def keep_written(self, out: Outcome) -> None:
        """Before a batch is handed back for some of its records: what it did write is stored (lineage,
        events) and the cursor stays, so the batch read again skips those records through the ledger and
        sends only the failed ones again."""
        self._store(out, {}, stream_cursor=None)

    def _store(self, out: Outcome, updates: dict, stream_cursor: str | None) -> None:
        now = timezone.now()
        with transaction.atomic():
            kinds = [kind for kind, _reason, _id in out.explained.values()]
            written = kinds.count(OutcomeKind.WRITTEN) + kinds.count(OutcomeKind.UPDATED)
            claimed = Run.objects.filter(pk=self.run.pk, lease=self.lease, status=RunStatus.RUNNING).update(
                heartbeat_at=now,
                written_count=F("written_count") + written,
                updated_count=F("updated_count") + kinds.count(OutcomeKind.UPDATED),
                **updates,
            )
            if not claimed:
                raise LeaseLost(self.run.pk)
            if out.lineage:
                Lineage.objects.bulk_create(
                    list(out.lineage.values()),
                    update_conflicts=True,
                    unique_fields=["workflow", "source_key"],
                    update_fields=[
                        "run",
                        "destination_id",
                        "read_mapping_version_id",
                        "write_mapping_version_id",
                        "content_hash",
                        "action",
                        "updated_at",
                    ],
                )
            succeeded = list(out.lineage) + out.skipped_keys
            if succeeded:
                RecordError.objects.filter(
                    workflow=self.workflow, trace_key__in=succeeded, status=RecordErrorStatus.OPEN
                ).update(
                    status=RecordErrorStatus.RESOLVED, resolution="auto", resolved_at=now, resolved_by_run=self.run
                )
            for error in out.errors:
                record_errors.store(self.workflow, self.run, error)
            outcomes.store(self.run, out, self.named_destination)
            if stream_cursor is not None:
                StreamCursor.objects.update_or_create(
                    workflow=self.workflow,
                    stream=self.source.stream,
                    defaults={
                        "cursor": stream_cursor,
                        "run": self.run,
                        "organization_id": self.workflow.organization_id,
                    },
                )
            connection_id = self.destination.connection_id or self.source.connection_id
            for key, destination, record in out.synced:
                wf_events.record_synced(
                    self.run,
                    self.standard,
                    source_key=key,
                    destination=destination,
                    record=record,
                    connection_id=connection_id,
                )
            if "error_summary" in updates:
                self.troubled = False
                lifecycle.refresh_status(self.workflow)
            live.push_on_commit(self.workflow.pk)
        self.page_progressed = True
        self.run.refresh_from_db(fields=["batches", "checkpoint", "cancel_requested", "retries"])

    def execute(self) -> str:
        for page in self._pages():
            if self.run.cancel_requested:
                return RunStatus.CANCELLED
            # Executors that override `process` (prepared writes) read no source: their pages have no failures.
            outcome = self.process(page.records, page.failures) if page.failures else self.process(page.records)
            outcome.requests += page.requests
            self.commit(outcome, page.cursor)
        return RunStatus.SUCCEEDED


# Executors by trigger for runs that do not read their source (a reviewed plan, reconciliation corrections):
# registered by the apps that own them; every other run reads through RunExecutor.
EXECUTORS: dict[str, type[RunExecutor]] = {}


def execute_run(run_id: int) -> Run | None:
    """Claim and run; the whole of a Celery task. Safe to call twice for the same run.

    A batch handed back after a transient failure ends this call: the run's task is queued again with a
    countdown. Only when tasks run inline (no broker) is there no worker to hand it to, and the caller
    waits out the backoff here and resumes the run itself.

    A finished run is followed by the workflow's next queued run in the same call (up to CHAIN_RUNS), so
    a burst of trigger events does not wait for a broker round trip between its runs; the claim keeps it
    safe when another worker took that run first. Returns the run this call was given, as it ended."""
    first, chained = None, 0
    while True:
        outcome = _execute_once(run_id)
        if isinstance(outcome, HandBack):
            if lifecycle.tasks_inline():
                time.sleep(outcome.delay)
                continue
            return first
        if first is None:
            first = outcome
        if outcome is None or chained >= conf.CHAIN_RUNS:
            return first
        run_id = lifecycle.next_queued(outcome.workflow_id)
        if run_id is None:
            return first
        chained += 1


def _execute_once(run_id: int) -> Run | HandBack | None:
    lease = claim(run_id)
    if lease is None:
        return None
    run = Run.objects.get(pk=run_id)
    # The events the run emits, to its last, join its trace (when tracing is on: ekyam/events/tracing.py).
    attributes = {"ekyam.run.id": run_id, "ekyam.workflow.id": run.workflow_id, "ekyam.run.trigger": run.trigger}
    with tracing.span("workflow.run", attributes):
        return _execute(run_id, run, lease)


def _execute(run_id: int, run: Run, lease) -> Run | HandBack | None:
    try:
        with Heartbeat(run_id, lease):
            status = EXECUTORS.get(run.trigger, RunExecutor)(run, lease).execute()
    except LeaseLost:
        log.warning("Run %s was taken over by another worker; stopping here.", run_id)
        return None
    except HandBack as back:
        log.info("Run %s: batch handed back to its checkpoint, again in %.1f s: %s", run_id, back.delay, back.reason)
        return back if hand_back(run_id, lease, back.delay, back.reason) is not None else None
    except RunFailed as exc:
        return finish(run_id, lease, RunStatus.FAILED, str(exc))
    except DatabaseError as exc:  # the database's own text quotes SQL and values: it stays in the log
        log.exception("Run %s crashed on the database", run_id)
        summary = (
            f"Internal error: the database refused a batch ({type(exc).__name__}); the worker log has the details."
        )
        return finish(run_id, lease, RunStatus.FAILED, summary)
    except Exception as exc:  # a bug must fail the run visibly, not leave it running
        log.exception("Run %s crashed", run_id)
        return finish(run_id, lease, RunStatus.FAILED, f"Internal error: {type(exc).__name__}: {exc}")
    return finish(run_id, lease, status)
