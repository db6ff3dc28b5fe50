"""Runs that write prepared payloads: "apply this plan" and "apply corrections".

Both are ordinary runs (claimed, leased, committed batch by batch with lineage, record errors, counts and
events, resumable after a crash) whose pages are the reviewed items instead of a source read: what is
written is exactly the payload stored with the item, and each write carries the destination state the
plan or report read (`context["expected"]`), so the writer refuses a record whose destination changed
since (Shopify: compare-and-set on that quantity; Whiplash: a fresh lookup compared with the fingerprint).
Neither moves the workflow's cursor.
"""

from __future__ import annotations

import time

from django.db import transaction

from connectors.base import ConnectorError, Page, TransientError
from workflows import conf, engine, sinks
from workflows.engine import Outcome, RunExecutor, RunFailed
from workflows.models import ErrorClass, Trigger
from workflows.reconcile import events
from workflows.reconcile.models import ApplyStatus, ItemStatus, Plan, PlanAction, PlanItem, ReconciliationItem


class PreparedWriteExecutor(RunExecutor):
    item_model: type
    source_param: str

    def __init__(self, run, lease):
        super().__init__(run, lease)
        self.parent_id = run.params.get(self.source_param)
        if not self.parent_id:
            raise RunFailed(f"The run names no {self.source_param}.")
        self.item_outcomes: dict[int, tuple[str, str]] = {}

    def _item_queryset(self):
        raise NotImplementedError

    def _pages(self):
        ids = list(self._item_queryset().order_by("pk").values_list("pk", flat=True))
        size = self.workflow.page_size
        if not ids:
            yield Page(records=[], cursor=None, done=True, requests=0)
            return
        for start in range(self.run.batches * size, len(ids), size):
            yield Page(records=ids[start : start + size], cursor=None, done=start + size >= len(ids), requests=0)

    def process(self, item_ids: list[int], failures=()) -> Outcome:
        items = list(self.item_model.objects.filter(pk__in=item_ids).order_by("pk"))
        out = Outcome(read=len(items), mapped=len(items))
        self.items = {item.pk: item for item in items}
        self.item_outcomes = {}
        if not items:
            return out
        context = {
            "run_id": self.run.pk,
            "keys": [item.key for item in items],
            "source_ids": [item.source_id for item in items],
            "expected": [item.state for item in items],
        }
        connector, stream = self.sink.connector, self.destination.stream
        attempt = 0
        while True:
            try:
                results = connector.write(stream, [item.payload for item in items], context=context)
                break
            except TransientError as exc:
                if attempt >= conf.RETRY_ATTEMPTS:
                    raise RunFailed(f"Writing to {self.destination.label} failed after {attempt + 1} attempts: {exc}")
                time.sleep(engine._backoff(attempt, exc.retry_after))
                attempt += 1
            except ConnectorError as exc:
                raise RunFailed(f"Writing to {self.destination.label} failed: {exc.message}")
        for item, result in zip(items, results, strict=True):
            staged = (item.key, item.source_id, item.source_payload, item.standard_record, item.payload)
            if result.ok:
                self._stage_success((*staged, sinks.content_hash(item.payload)), result, out)
                status = ApplyStatus.UNCHANGED if result.action == "unchanged" else ApplyStatus.APPLIED
                self.item_outcomes[item.pk] = (status, result.action)
                continue
            error = result.error
            refused = error is not None and error.code == "changed"
            self.item_outcomes[item.pk] = (
                ApplyStatus.REFUSED if refused else ApplyStatus.FAILED,
                error.message if error else "The destination rejected the record.",
            )
            out.errors.append(
                {
                    "key": item.key,
                    "raw": item.source_payload or {},
                    "stage": "write",
                    "class": ErrorClass.CONFLICT if refused else engine.classify(error),
                    "message": error.message if error else "The destination rejected the record.",
                    "details": error.as_dict() if error else {},
                }
            )
        return out

    def commit(self, out: Outcome, cursor) -> None:
        with transaction.atomic():
            super().commit(out, cursor)
            for pk, (status, message) in self.item_outcomes.items():
                self.item_model.objects.filter(pk=pk).update(apply_status=status, apply_message=message[:2000])
            self.after_commit_rows(out)

    def after_commit_rows(self, out: Outcome) -> None:
        pass


class PlanExecutor(PreparedWriteExecutor):
    item_model = PlanItem
    source_param = "plan_id"

    def __init__(self, run, lease):
        super().__init__(run, lease)

        plan = Plan.objects.get(pk=self.parent_id, workflow=self.workflow)
        # The lineage names the mapping versions the reviewed payloads were made with.
        self.run.read_mapping_version_id = plan.read_mapping_version_id or self.run.read_mapping_version_id
        self.run.write_mapping_version_id = plan.write_mapping_version_id or self.run.write_mapping_version_id

    def _item_queryset(self):
        return PlanItem.objects.filter(
            plan_id=self.parent_id, action__in=[PlanAction.CREATE, PlanAction.UPDATE], payload__isnull=False
        )


class ReconcileExecutor(PreparedWriteExecutor):
    item_model = ReconciliationItem
    source_param = "reconciliation_id"

    def _item_queryset(self):
        return ReconciliationItem.objects.filter(
            report_id=self.parent_id, status=ItemStatus.DRIFTED, payload__isnull=False
        )

    def after_commit_rows(self, out: Outcome) -> None:
        connection_id = self.destination.connection_id
        for pk, (status, action) in self.item_outcomes.items():
            if status != ApplyStatus.APPLIED:
                continue
            item = self.items[pk]
            row = out.lineage.get(item.key)
            destination = {
                "system": self.sink.system,
                "id": row.destination_id if row else item.destination_id,
                "action": action,
            }
            events.reconciled(
                self.run,
                self.standard,
                report_id=self.parent_id,
                item=item,
                destination=destination,
                connection_id=connection_id,
            )


def register() -> None:
    engine.EXECUTORS[Trigger.PLAN] = PlanExecutor
    engine.EXECUTORS[Trigger.RECONCILE] = ReconcileExecutor
