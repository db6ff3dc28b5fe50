"""State changes of the mapping app. Views, serializers and admin call these; they validate first."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max

from connectors.actions import build_connector
from connectors.base import ConnectorError
from connectors.mapping.compiled import table_names
from connectors.mapping.defaults import load_default_mapping
from connectors.mapping.engine import CompiledMapping, MappingInvalid, compile_mapping
from connectors.mapping.models import LookupTable, Mapping, MappingVersion, SuggestionFeedback
from connectors.mapping.suggest import suggest_mappings
from connectors.models import Connection

log = logging.getLogger(__name__)

PREVIEW_LIMIT = 50


def _org_lookups(organization_id: int, rules) -> dict[str, dict]:
    names = table_names(rules)
    if not names:
        return {}
    tables = LookupTable.objects.filter(organization_id=organization_id, name__in=names)
    return {table.name: table.values for table in tables}


def check_mapping(mapping: Mapping, rules, lookups: dict | None = None) -> CompiledMapping:
    """Compile `rules` as they would run for this mapping (raises MappingInvalid naming each bad rule)."""
    available = {**(lookups or {}), **_org_lookups(mapping.organization_id, rules)}
    return compile_mapping(rules, standard=mapping.standard, direction=mapping.direction, lookups=available)


def save_mapping_version(mapping: Mapping, rules, user=None, *, lookups: dict | None = None, comment: str = ""):
    """Validate the rules and store them as the mapping's next version. Raises MappingInvalid."""
    current = mapping.current_version()
    if lookups is None:
        lookups = current.lookups if current else {}
    compiled = check_mapping(mapping, rules, lookups)
    with transaction.atomic():
        # Lock the mapping row so two saves at once get consecutive numbers.
        Mapping.objects.select_for_update().filter(pk=mapping.pk).first()
        number = (mapping.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = MappingVersion.objects.create(
            mapping=mapping,
            number=number,
            rules=rules,
            lookups=lookups or {},
            is_complete=compiled.is_complete,
            missing_required=compiled.missing_required,
            created_by=user if getattr(user, "is_authenticated", False) and user.pk else None,
            comment=comment[:200],
        )
        mapping.save(update_fields=["updated_at"])
    return version


def _check_connection(organization, connection: Connection) -> None:
    if connection.organization_id != organization.pk:
        # Another organization's connection does not exist for this caller.
        raise Connection.DoesNotExist("Connection not found.")


def create_mapping(
    organization,
    *,
    connection: Connection,
    stream: str,
    direction: str,
    standard: str,
    name: str = "",
    rules=None,
    lookups: dict | None = None,
    user=None,
) -> Mapping:
    """A new mapping with its first version. Raises MappingInvalid, or IntegrityError when the
    connection already has a mapping for that stream and direction."""
    _check_connection(organization, connection)
    rules = [] if rules is None else rules
    with transaction.atomic():
        mapping = Mapping.objects.create(
            organization=organization,
            connection=connection,
            stream=stream,
            direction=direction,
            standard=standard,
            name=name or f"{connection.name} · {stream} ({direction})",
        )
        save_mapping_version(mapping, rules, user, lookups=lookups or {}, comment="created")
    return mapping


def rename_mapping(mapping: Mapping, name: str) -> Mapping:
    mapping.name = name
    mapping.save(update_fields=["name", "updated_at"])
    return mapping


def ensure_default_mapping(connection: Connection, stream: str, direction: str) -> Mapping | None:
    """The connection's mapping for the stream and direction; created from the vendor's default file
    when there is none yet. None when neither exists. The default's lookup tables become the
    organization's own (existing tables of the same name are left as they are)."""
    existing = Mapping.objects.filter(connection=connection, stream=stream, direction=direction).first()
    if existing is not None:
        return existing
    document = load_default_mapping(connection.connector_type, stream, direction)
    if document is None:
        return None
    organization = connection.organization
    try:
        with transaction.atomic():
            for name, values in document["lookups"].items():
                LookupTable.objects.get_or_create(
                    organization=organization,
                    name=name,
                    defaults={"values": values, "description": f"Default from {connection.connector_type}"},
                )
            return create_mapping(
                organization,
                connection=connection,
                stream=stream,
                direction=direction,
                standard=document["standard"],
                rules=document["rules"],
                lookups=document["lookups"],
            )
    except IntegrityError:
        # Created concurrently by another worker: use theirs.
        return Mapping.objects.get(connection=connection, stream=stream, direction=direction)


def preview(mapping: Mapping, records: Iterable, *, rules=None, limit: int = PREVIEW_LIMIT) -> dict:
    """Map sample records with the current version (or draft `rules`), per record: output and errors."""
    version = mapping.current_version()
    if rules is not None:
        compiled = check_mapping(mapping, rules, version.lookups if version else {})
    elif version is not None:
        compiled = version.compiled()
    else:
        raise MappingInvalid([{"rule": "(mapping)", "message": "the mapping has no version yet"}])
    results = []
    ok = 0
    for index, record in enumerate(records):
        if index >= limit:
            break
        result = compiled.apply(record)
        ok += result.ok
        results.append({"index": index, "input": record, **result.as_dict()})
    return {
        "version": None if rules is not None else (version.number if version else None),
        "standard": mapping.standard,
        "direction": mapping.direction,
        "is_complete": compiled.is_complete,
        "missing_required": compiled.missing_required,
        "results": results,
        "summary": {"records": len(results), "ok": ok, "failed": len(results) - ok},
    }


def sample_records(mapping: Mapping, count: int = 5) -> list[dict]:
    """A few live records of the mapping's stream, read through its connection's connector."""
    connector = build_connector(mapping.connection)
    for page in connector.read(mapping.stream, page_size=count):
        return list(page.records)[:count]
    return []


def save_lookup_table(organization, *, name: str, values: dict, description: str = "", table=None) -> LookupTable:
    if table is None:
        return LookupTable.objects.create(organization=organization, name=name, values=values, description=description)
    table.name, table.values, table.description = name, values, description
    table.save(update_fields=["name", "values", "description", "updated_at"])
    return table


def record_feedback(
    organization,
    *,
    standard: str,
    target: str,
    source: str,
    accepted: bool,
    direction: str = "read",
    source_label: str = "",
    mapping: Mapping | None = None,
    user=None,
) -> SuggestionFeedback:
    """Store a verdict on a suggestion. Accepted pairs become the organization's synonyms."""
    if mapping is not None and mapping.organization_id != organization.pk:
        raise Mapping.DoesNotExist("Mapping not found.")
    return SuggestionFeedback.objects.create(
        organization=organization,
        standard=standard,
        direction=direction,
        target=target,
        source=source,
        source_label=source_label,
        accepted=accepted,
        mapping=mapping,
        created_by=user if getattr(user, "is_authenticated", False) and user.pk else None,
    )


# --- source fields and writer mappings (used by the setup wizard and anything else that starts a
# mapping from a live connection) --------------------------------------------------------------------


def _flatten_paths(records: Iterable, limit: int = 400) -> dict[str, list]:
    """Source field paths seen in sample records, with up to 5 sample values each. Lists of objects
    become `items[*].field`, the path syntax the engine reads."""
    found: dict[str, list] = {}

    def walk(value, path: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for element in value[:5]:
                walk(element, f"{path}[*]")
        elif path:
            samples = found.setdefault(path, [])
            if value not in (None, "", []) and len(samples) < 5 and not isinstance(value, (dict, list)):
                samples.append(value)

    for record in records:
        if isinstance(record, dict):
            walk(record, "")
    return found


def _field_attr(spec, name: str) -> str:
    value = spec.get(name, "") if isinstance(spec, dict) else getattr(spec, name, "")
    return str(value or "")


def source_fields(samples: Iterable, discovered_fields: Iterable = ()) -> list[dict]:
    """The source fields a mapping can read, sorted by path: every field the connector's `discover()`
    declares (StreamField objects or {path, label, type} dicts; `[]` written as `[*]`) plus every path
    seen in the sample records, each as {path, label, type, samples} with up to 5 sample values.
    Declared fields come first so a field absent from the samples can still be chosen."""
    seen = _flatten_paths(samples)
    fields: dict[str, dict] = {}
    for spec in discovered_fields or ():
        path = _field_attr(spec, "path").replace("[]", "[*]")
        if path:
            fields[path] = {
                "path": path,
                "label": _field_attr(spec, "label"),
                "type": _field_attr(spec, "type"),
                "samples": seen.get(path, []),
            }
    for path, values in seen.items():
        fields.setdefault(path, {"path": path, "label": "", "type": "", "samples": values})
    return sorted(fields.values(), key=lambda f: f["path"])


def writer_mapping_for_destination(connection: Connection, stream: str, *, user=None) -> Mapping | None:
    """The destination's writer mapping for `stream`: its existing one, the vendor's default, or a new
    one built from the suggestions (the standard's fields → the writer stream's declared fields) for
    the user to verify. None when the connector has no such writer stream."""
    mapping = ensure_default_mapping(connection, stream, "write")
    if mapping is not None:
        return mapping
    try:
        spec = connection.connector_class.stream(stream, "write")
    except (ConnectorError, LookupError):
        return None
    fields = [{"path": f.path, "label": f.label, "type": f.type} for f in spec.fields]
    suggestion = suggest_mappings(spec.standard, "write", fields, organization=connection.organization)
    try:
        return create_mapping(
            connection.organization,
            connection=connection,
            stream=spec.name,
            direction="write",
            standard=spec.standard,
            rules=suggestion["rules"],
            user=user,
        )
    except IntegrityError:
        # Created concurrently (a double submit): use that one.
        return Mapping.objects.get(connection=connection, stream=spec.name, direction="write")
