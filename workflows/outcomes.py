"""Outcomes explained: what a run did with each record, and why, in words a merchant reads.

The engine tells this module what a batch produced (`workflows.engine.Outcome`); this module turns it into
one `RecordOutcome` per record — written, updated, unchanged or failed — with a reason that names the
destination and its record ("already in Whiplash with the same content — order #123"), stored in the
batch's own transaction. Nothing is ever just "skipped": a record the destination already has says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from workflows import conf
from workflows.models import Lineage, OutcomeKind, RecordOutcome, Run

REASON_LIMIT = 500
# What one record of a destination stream is called: "order #123" reads better than "orders 123".
RECORD_NOUNS = {
    "orders": "order",
    "inventory": "inventory level",
    "shipments": "shipment",
    "products": "product",
    "shipment_ledger": "shipment",
}


@dataclass(frozen=True)
class Destination:
    """How a run's destination is named in reasons."""

    system: str  # connector slug, or "ekyam" for the shipment ledger
    name: str  # "Whiplash", "Ekyam's shipment ledger"
    stream: str

    def record(self, destination_id) -> str:
        noun = RECORD_NOUNS.get(self.stream, self.stream.rstrip("s") or "record")
        if destination_id in (None, ""):
            return noun
        return f"{noun} {destination_id}" if ":" in str(destination_id) else f"{noun} #{destination_id}"


def destination_of(executor) -> Destination:
    sink, node = executor.sink, executor.destination
    connector = getattr(sink, "connector", None)
    if connector is None:
        return Destination(sink.system, "Ekyam's shipment ledger", "shipment_ledger")
    return Destination(sink.system, getattr(type(connector), "name", sink.system), node.stream)


def same_content(destination: Destination, lineage: Lineage) -> str:
    """The idempotency ledger says exactly this payload was written before."""
    return f"already in {destination.name} with the same content — {destination.record(lineage.destination_id)}"


def from_write(destination: Destination, result) -> tuple[str, str]:
    """(outcome, reason) of a record the destination accepted; `result` is a `connectors.base.WriteResult`."""
    response = result.response or {}
    where = destination.record(result.destination_id)
    said = response.get("reason")
    if result.action == "created":
        return OutcomeKind.WRITTEN, f"created in {destination.name} — {where}"
    if result.action == "updated":
        if "changed" in response:
            changed = ", ".join(str(f) for f in response["changed"]) or "nothing"
            return OutcomeKind.UPDATED, f"updated in {destination.name} — {where} (changed: {changed})"
        if "previous" in response and "quantity" in response:
            before = "unknown" if response["previous"] is None else response["previous"]
            sku = f"SKU {response['sku']}, " if response.get("sku") else ""
            return (
                OutcomeKind.UPDATED,
                f"updated in {destination.name} — {where} ({sku}quantity {before} → {response['quantity']})",
            )
        return OutcomeKind.UPDATED, f"updated in {destination.name} — {where}" + (f" ({said})" if said else "")
    if result.action == "unchanged":
        return OutcomeKind.UNCHANGED, f"{said or f'{destination.name} already has the same content'} — {where}"
    if result.action == "skipped" and "superseded_by" in response:
        return OutcomeKind.UNCHANGED, "a later record in the same batch sets the same item; that one was written"
    if said:
        return OutcomeKind.UNCHANGED, said
    return OutcomeKind.UNCHANGED, f"{destination.name} accepted the record without changing anything — {where}"


def _clip(text: str) -> str:
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"


def store(run: Run, out, destination: Destination) -> None:
    """One row per record of the batch `out`, in the caller's transaction (the batch's own)."""
    rows = []
    explained = set()

    def add(key: str, kind: str, reason: str, destination_id="") -> None:
        explained.add(key)
        rows.append(
            RecordOutcome(
                organization_id=run.organization_id,
                run=run,
                source_key=key,
                outcome=kind,
                reason=_clip(reason),
                destination_system=destination.system if destination_id else "",
                destination_id=str(destination_id or ""),
            )
        )

    for key, (kind, reason, destination_id) in out.explained.items():
        add(key, kind, reason, destination_id)
    for key in out.skipped_keys:
        if key not in explained:
            add(key, OutcomeKind.UNCHANGED, f"{destination.name} already has the same content")
    for error in out.errors:
        add(error["key"], OutcomeKind.FAILED, f"failed at {error['stage'].replace('_', ' ')}: {error['message']}")
    if rows:
        RecordOutcome.objects.bulk_create(rows)


def counts(run: Run) -> dict:
    """{outcome: number} of a run's records, from its rows."""
    found = dict(run.outcomes.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
    return {kind: found.get(kind, 0) for kind in OutcomeKind.values}


def latest(run: Run, limit: int = 10) -> list[dict]:
    """The run's most recent outcomes as the live pages show them."""
    rows = list(run.outcomes.order_by("-pk")[:limit])
    lineage = dict(
        Lineage.objects.filter(workflow_id=run.workflow_id, source_key__in=[r.source_key for r in rows]).values_list(
            "source_key", "pk"
        )
    )
    return [
        {
            "id": r.pk,
            "source_key": r.source_key,
            "outcome": r.outcome,
            "reason": r.reason,
            "lineage_id": lineage.get(r.source_key),
        }
        for r in rows
    ]


def prune(now=None) -> int:
    """Delete outcomes older than OUTCOME_RETENTION_DAYS, a batch per statement; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=conf.OUTCOME_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            RecordOutcome.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                : conf.OUTCOME_RETENTION_BATCH
            ]
        )
        if not ids:
            return deleted
        deleted += RecordOutcome.objects.filter(pk__in=ids).delete()[0]
