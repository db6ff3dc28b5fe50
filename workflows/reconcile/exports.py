"""Plans as files: JSON (the plan and every item) or CSV (one row per item), streamed."""

from __future__ import annotations

import csv
import json

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse

from workflows.reconcile.models import Plan

CSV_COLUMNS = ["key", "source_id", "action", "destination_id", "diff", "message", "apply_status"]


class _Echo:
    def write(self, value):
        return value


def _csv_rows(plan: Plan):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for item in plan.items.order_by("pk").iterator(chunk_size=500):
        yield writer.writerow(
            [
                item.key,
                item.source_id,
                item.action,
                item.destination_id,
                json.dumps(item.diff, default=str) if item.diff else "",
                item.message,
                item.apply_status,
            ]
        )


def _json_chunks(plan: Plan):
    head = {
        "id": plan.pk,
        "workflow": plan.workflow_id,
        "status": plan.status,
        "since": plan.since,
        "start_cursor": plan.start_cursor,
        "end_cursor": plan.end_cursor,
        "counts": {
            "read": plan.read_count,
            "create": plan.create_count,
            "update": plan.update_count,
            "unchanged": plan.unchanged_count,
            "error": plan.error_count,
        },
    }
    yield json.dumps(head)[:-1] + ', "items": ['
    first = True
    for item in plan.items.order_by("pk").iterator(chunk_size=500):
        row = {
            "key": item.key,
            "source_id": item.source_id,
            "action": item.action,
            "destination_id": item.destination_id,
            "diff": item.diff,
            "message": item.message,
            "payload": item.payload,
            "apply_status": item.apply_status,
        }
        yield ("" if first else ",") + json.dumps(row, default=str)
        first = False
    yield "]}"


def plan_download(plan: Plan, kind: str) -> StreamingHttpResponse:
    if kind not in ("json", "csv"):
        raise ValidationError({"as": f"Download as json or csv, not {kind!r}."})
    body = _csv_rows(plan) if kind == "csv" else _json_chunks(plan)
    response = StreamingHttpResponse(body, content_type="text/csv" if kind == "csv" else "application/json")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.{kind}"'
    return response
