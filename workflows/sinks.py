"""Where a workflow's records go, and how source records are keyed.

A destination is either a connection's writer (`Connector.write`) or Ekyam's own shipment ledger, which
takes shipments read back from the fulfillment system (status, tracking) and attaches them to the lineage
of the shipment that was sent there, so searching any id shows the tracking that came back.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction

from connectors.base import ConflictError, WriteResult
from connectors.registry import get_connector
from workflows.models import Lineage


def record_key(connector_cls, stream: str, record: dict) -> tuple[str, str]:
    """(stable Ekyam key, source id) of a source record, e.g. ("netsuite:shipments:123", "123").

    A connector may define `record_key(stream, record) -> str` for its own key format; otherwise the key is
    built from the record's `id` (or `internalId`, `sku`), and a content hash as a last resort."""
    hook = getattr(connector_cls, "record_key", None)
    source_id = None
    for field in ("id", "internalId", "internal_id", "sku"):
        if record.get(field) not in (None, ""):
            source_id = str(record[field])
            break
    if source_id is None:
        source_id = "sha1-" + content_hash(record)[:16]
    if callable(hook):
        return str(hook(stream, record)), source_id
    return f"{connector_cls.slug}:{stream}:{source_id}", source_id


def content_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class ConnectionSink:
    def __init__(self, connector, stream: str):
        self.connector = connector
        self.stream = stream
        self.system = connector.slug

    def write(self, payloads: list[dict], *, context: dict) -> list[WriteResult]:
        return self.connector.write(self.stream, payloads, context=context)


class ShipmentLedgerSink:
    """Attach status and tracking read back from a fulfillment system to the forward shipment's lineage."""

    system = "ekyam"

    def __init__(self, workflow, source_system: str):
        self.workflow = workflow
        self.source_system = source_system

    def write(self, payloads: list[dict], *, context: dict) -> list[WriteResult]:
        results = []
        for key, source_id, shipment in zip(context["keys"], context["source_ids"], payloads, strict=True):
            forward = (
                Lineage.objects.filter(
                    organization_id=self.workflow.organization_id,
                    destination_system=self.source_system,
                    destination_id=source_id,
                )
                .exclude(workflow=self.workflow)
                .order_by("-pk")
                .first()
            )
            if forward is None:
                # An order Ekyam did not send (created in the fulfillment system directly): nothing to update.
                reason = (
                    f"{self._source_name()} order {source_id} was not sent by this organization's workflows, "
                    "so there is no shipment to attach its status and tracking to"
                )
                results.append(WriteResult(ok=True, key=key, action="skipped", response={"reason": reason}))
                continue
            tracking = {
                "status": shipment.get("status"),
                "tracking_numbers": shipment.get("tracking_numbers") or [],
                "carrier": shipment.get("carrier"),
                "ship_date": shipment.get("ship_date"),
            }
            if forward.details.get("tracking") == tracking:
                reason = "the shipment already has this status and tracking"
                results.append(
                    WriteResult(
                        ok=True,
                        key=key,
                        destination_id=forward.source_key,
                        action="unchanged",
                        response={"reason": reason},
                    )
                )
                continue
            with transaction.atomic():
                locked = Lineage.objects.select_for_update().get(pk=forward.pk)
                locked.details = {**locked.details, "tracking": tracking}
                locked.save(update_fields=["details", "updated_at"])
            if not forward.source_key:
                results.append(
                    WriteResult(ok=False, key=key, error=ConflictError(f"Lineage {forward.pk} has no source key."))
                )
                continue
            said = f"status {tracking['status'] or 'unknown'}, tracking {', '.join(tracking['tracking_numbers']) or 'none yet'}"
            results.append(
                WriteResult(
                    ok=True, key=key, destination_id=forward.source_key, action="updated", response={"reason": said}
                )
            )
        return results

    def _source_name(self) -> str:
        try:
            return get_connector(self.source_system).name
        except LookupError:
            return self.source_system
