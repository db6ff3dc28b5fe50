"""A retry's edited record is checked against the source stream's shape before it is stored or queued.

An edit replaces the source record the engine reads, so it must be what the reader would have given:
a JSON object whose fields have the types the stream declares (`StreamField.type`) and, for fields the
stream does not declare, the structure the original record had (object, array or single value). A list or a string (`[1, 2]`, `"x"`) was once stored, crashed the run, and then
crashed every later plain retry of the same record.
"""

from __future__ import annotations

from workflows.models import NodeKind, RecordError

JSON_TYPES = {
    "string": (str,),
    "date": (str,),
    "datetime": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for name in ("object", "array", "string", "integer", "number"):
        if isinstance(value, JSON_TYPES[name]):
            return name
    return type(value).__name__


def _shape(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else "a single value"


def _declared_fields(record_error: RecordError) -> dict[str, str]:
    """Top-level field → declared type, from the stream the workflow's source reads."""
    source = record_error.workflow.node(NodeKind.SOURCE)
    if source is None or source.connection is None:
        return {}
    try:
        streams = source.connection.connector_class.reader_streams()
    except LookupError:
        return {}
    spec = next((s for s in streams if s.name == source.stream), None)
    if spec is None:
        return {}
    return {f.path: f.type for f in spec.fields if "." not in f.path and "[" not in f.path}


def edit_problems(record_error: RecordError, payload) -> dict[str, list[str]]:
    """{field: [message]} for what makes `payload` unusable as the record's source; empty when usable."""
    if not isinstance(payload, dict):
        return {"edited_payload": [f"Expected an object like the source record, got {_type_name(payload)}."]}
    if not payload:
        return {"edited_payload": ["The edited record is empty."]}
    problems: dict[str, list[str]] = {}
    original = record_error.source_payload if isinstance(record_error.source_payload, dict) else {}
    declared = _declared_fields(record_error)
    for key, value in payload.items():
        if value is None:
            continue
        expected = declared.get(key)
        if expected in JSON_TYPES:
            # The stream's declared type decides (the original may be the very value being corrected).
            if not isinstance(value, JSON_TYPES[expected]) or (isinstance(value, bool) and expected != "boolean"):
                problems[f"edited_payload.{key}"] = [f"Expected {expected}, got {_type_name(value)}."]
            continue
        # Undeclared fields keep the original's structure (a scalar stays a scalar, an object an object);
        # a scalar's type may change, since a wrong scalar is what an edit usually corrects.
        before, now = _shape(original.get(key)), _shape(value)
        if before is not None and before != now:
            problems[f"edited_payload.{key}"] = [f"Expected {before} like the source record, got {now}."]
    return problems
