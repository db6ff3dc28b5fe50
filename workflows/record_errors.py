"""Record errors as a run produces them: one record that cannot be mapped or written becomes a row with
what failed, where, and the source record, so the rest of its batch goes on and it can be retried later.

`from_mapping` describes a mapping failure; `store` writes (or counts again) the open error of a record,
inside the batch's transaction.
"""

from __future__ import annotations

import json

from workflows import events as wf_events
from workflows.models import ErrorClass, RecordError, RecordErrorStatus


def from_mapping(key: str, raw: dict, stage: str, errors) -> dict:
    """The error of a record its read or write mapping refused (`stage` names which)."""
    first = errors[0] if errors else None
    message = (
        f"{first.rule}: {first.message}"
        + (f" (source {first.source_path} = {_short(first.value)})" if first.source_path else "")
        if first
        else "The mapping produced no output."
    )
    details = {
        "errors": [
            {"rule": e.rule, "source_path": e.source_path, "value": _clip(e.value), "message": e.message}
            for e in errors
        ]
    }
    return {
        "key": key,
        "raw": raw,
        "stage": stage,
        "class": ErrorClass.VALIDATION,
        "message": message,
        "details": details,
    }


def store(workflow, run, error: dict) -> None:
    """One open error per record: a record failing again updates its open error and counts the occurrence."""
    existing = (
        RecordError.objects.select_for_update()
        .filter(workflow=workflow, trace_key=error["key"], status=RecordErrorStatus.OPEN)
        .first()
    )
    if existing is not None:
        existing.run = run
        existing.error_class = error["class"]
        existing.stage = error["stage"]
        existing.message = error["message"]
        existing.details = _jsonable(error["details"])
        existing.source_payload = error["raw"]
        existing.occurrences += 1
        existing.save(
            update_fields=[
                "run",
                "error_class",
                "stage",
                "message",
                "details",
                "source_payload",
                "occurrences",
                "updated_at",
            ]
        )
        return
    row = RecordError.objects.create(
        organization_id=workflow.organization_id,
        workflow=workflow,
        run=run,
        trace_key=error["key"],
        error_class=error["class"],
        stage=error["stage"],
        message=error["message"],
        details=_jsonable(error["details"]),
        source_payload=error["raw"],
    )
    wf_events.record_error_created(row)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _short(value, limit: int = 80) -> str:
    """A value as quoted in a record error's message: an oversized one must not become the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def _clip(value, limit: int = 500):
    """A value as kept in a record error's details: long strings cut, with their length said."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}… ({len(value)} characters)"
    return _jsonable(value)
