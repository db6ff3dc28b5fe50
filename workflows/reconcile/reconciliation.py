"""Reconciliation: the source's and the destination's current state for a workflow's stream, per record.

    destination `current_state` (all of it, within the vendor's limits) ──┐
    source pages (from the start, or since a date) → read mapping → write mapping → writer `plan`
        against that state ──► in sync / drifted / missing in the destination / unmapped / error
    destination records no source record covers ──► missing in the source (or unmapped: outside every
        scope the source maps to, e.g. a Shopify location no warehouse maps to)

Inventory: Whiplash quantities per SKU (and warehouse) vs Shopify's available quantity per inventory item
and location, through the write mapping's location lookup. Orders: NetSuite item fulfillments vs Whiplash
orders by originator key ("shipped in one system, missing in the other"). Drifted items keep the
correction (the write-mapped payload) and the destination value read, so applying them is a
compare-and-set against exactly what the report shows.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from workflows.models import Lineage
from workflows.reconcile import actions, jobs
from workflows.reconcile.flow import Flow
from workflows.reconcile.models import ItemStatus, Reconciliation, ReconciliationItem

# The standard's field shown as "the value" of a record on both sides.
HEADLINE = {"inventory_level": "available", "shipment": "status", "product": "sku"}
MISSING_CODES = {"not_found", "not_stocked"}
PAGE_SIZE = 250


def claim(report_id: int) -> Reconciliation | None:
    return jobs.claim(Reconciliation, report_id, phase="starting")


def _progress(report: Reconciliation, **changes) -> None:
    updates = {k: F(k) + v for k, v in changes.items() if k != "phase"}
    updates["heartbeat_at"] = timezone.now()
    if "phase" in changes:
        updates["phase"] = changes["phase"]
    Reconciliation.objects.filter(pk=report.pk).update(**updates)


def do_reconcile(report_id: int) -> Reconciliation | None:
    """The whole of the Celery task: claim the queued report, compare, total, alert, apply if asked."""
    report = claim(report_id)
    if report is None:
        return None
    return jobs.run(report, lambda: Reconciler(report, Flow(report.workflow)).execute(), actions.finish_report)


class Reconciler:
    def __init__(self, report: Reconciliation, flow: Flow):
        self.report = report
        self.flow = flow
        self.headline = HEADLINE.get(flow.standard, "")
        self.state: dict = {}
        self.covered: set[str] = set()
        self.source_keys: set[str] = set()
        self.scopes: set[str] = set()
        self._spent = jobs.RequestMeter(flow.source_connector, flow.destination_connector).spent

    def execute(self) -> None:
        flow, report = self.flow, self.report
        Reconciliation.objects.filter(pk=report.pk).update(
            standard=flow.standard, source_stream=flow.source.stream, destination_stream=flow.destination.stream
        )
        _progress(report, phase="reading the destination")
        for batch in flow.destination_connector.current_state(flow.destination.stream):
            for record in batch:
                self.state[record.key] = record
            _progress(report, destination_read=len(batch), requests_count=self._spent())
        _progress(report, phase="reading the source")
        cursor = flow.read_cursor(report.since or None)
        for page in flow.source_connector.read(flow.source.stream, cursor=cursor, page_size=PAGE_SIZE):
            items = self._compare(page.records)
            ReconciliationItem.objects.bulk_create(items)
            _progress(report, source_read=len(page.records), requests_count=self._spent())
            if page.done:
                break
        _progress(report, phase="finishing")
        ReconciliationItem.objects.bulk_create(self._destination_only())

    def _compare(self, records: list[dict]) -> list[ReconciliationItem]:
        flow = self.flow
        staged = flow.stage(records)
        items, planned_for = [], []
        for entry in staged:
            self.source_keys.add(entry.key)
            if entry.payload is None:
                items.append(self._item(entry, ItemStatus.UNMAPPED, message=f"{entry.stage}: {entry.message}"))
            else:
                planned_for.append(entry)
        if planned_for:
            planned = flow.destination_connector.plan(
                flow.destination.stream,
                [e.payload for e in planned_for],
                context={"keys": [e.key for e in planned_for], "state": self.state},
            )
            lineage = {
                row.source_key: row
                for row in Lineage.objects.filter(
                    workflow=flow.workflow, source_key__in=[e.key for e in planned_for]
                ).only("source_key", "updated_at", "run_id")
            }
            for entry, plan in zip(planned_for, planned, strict=True):
                items.append(self._classify(entry, plan, lineage.get(entry.key)))
        return items

    def _item(self, entry, status, **fields) -> ReconciliationItem:
        source_value = (entry.standard or {}).get(self.headline) if self.headline else None
        fields.setdefault("label", _label(entry.standard, entry.key))
        return ReconciliationItem(
            report=self.report,
            status=status,
            key=entry.key,
            source_id=entry.source_id,
            source_value=source_value,
            source_payload=entry.raw,
            standard_record=entry.standard,
            **fields,
        )

    def _classify(self, entry, plan, lineage) -> ReconciliationItem:
        destination_id = plan.destination_id or ""
        known = self.state.get(destination_id) if destination_id else None
        if destination_id:
            self.covered.add(destination_id)
            if known is not None and known.scope:
                self.scopes.add(known.scope)
            elif "@" in destination_id:
                self.scopes.add(destination_id.rsplit("@", 1)[-1])
        destination_value = plan.values.get("destination")
        source_value = (entry.standard or {}).get(self.headline) if self.headline else None
        units = None
        if isinstance(source_value, int) and isinstance(destination_value, int):
            units = destination_value - source_value
        common = {
            "destination_id": destination_id,
            "destination_value": destination_value,
            "diff": plan.diff,
            "last_written_at": lineage.updated_at if lineage else None,
            "last_run_id": lineage.run_id if lineage else None,
        }
        if known is not None:
            common["label"] = known.label
        if plan.action == "unchanged":
            return self._item(entry, ItemStatus.IN_SYNC, **common)
        if plan.action == "update":
            return self._item(entry, ItemStatus.DRIFTED, units=units, payload=entry.payload, state=plan.state, **common)
        if plan.action == "create":
            return self._item(entry, ItemStatus.MISSING_IN_DESTINATION, payload=entry.payload, **common)
        error = plan.error
        message = error.message if error else "The destination cannot take this record."
        if error is not None and error.code in MISSING_CODES:
            return self._item(entry, ItemStatus.MISSING_IN_DESTINATION, message=message, **common)
        if plan.diff:  # it differs, but the writer could not correct it (e.g. an order already printed)
            return self._item(entry, ItemStatus.DRIFTED, units=units, message=message, **common)
        return self._item(entry, ItemStatus.ERROR, message=message, **common)

    def _destination_only(self) -> list[ReconciliationItem]:
        items = []
        source_prefix = f"{self.flow.source_connector.slug}:"
        for record in self.state.values():
            if record.key in self.covered or (record.source_key and record.source_key in self.source_keys):
                continue
            value = record.values.get("available", record.values.get("status_name"))
            if record.source_key:
                if self.report.since or not record.source_key.startswith(source_prefix):
                    continue  # not from this source, or outside the window read
                status, message = ItemStatus.MISSING_IN_SOURCE, "Written by Ekyam, but the source no longer has it."
            elif record.scope and record.scope not in self.scopes:
                status, message = ItemStatus.UNMAPPED, "No source location maps to this destination location."
            elif record.scope:
                status, message = ItemStatus.MISSING_IN_SOURCE, "The destination has it; the source does not."
            else:
                continue  # created outside Ekyam with no key: not this flow's record
            items.append(
                ReconciliationItem(
                    report=self.report,
                    status=status,
                    key=record.source_key,
                    label=record.label,
                    destination_id=record.key,
                    destination_value=value,
                    message=message,
                )
            )
        return items


def _label(standard: dict | None, key: str) -> str:
    if not standard:
        return key
    if standard.get("sku") and "location" in standard:
        location = standard.get("location") or {}
        return f"{standard['sku']} @ {location.get('name') or location.get('id') or 'default'}"
    for field in ("shipment_number", "order_number", "sku", "name"):
        if standard.get(field):
            return str(standard[field])
    return key
