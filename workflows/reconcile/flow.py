"""What reconciliation and dry runs share: the workflow's two ends, its mappings and one source page
taken through read mapping → validation → write mapping, exactly as the sync engine does it."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.actions import build_connector
from workflows import mappings, sinks
from workflows.models import Workflow


class FlowError(Exception):
    """The workflow cannot be reconciled or planned (its diagram, its mappings, its destination)."""


@dataclass
class Staged:
    key: str
    source_id: str
    raw: dict
    standard: dict | None = None
    payload: dict | None = None
    stage: str = ""  # read_mapping / write_mapping when the mapping failed
    message: str = ""

    @property
    def digest(self) -> str:
        return sinks.content_hash(self.payload)


class Flow:
    def __init__(self, workflow: Workflow, *, read_version_id=None, write_version_id=None):
        self.workflow = workflow
        nodes = workflow.runnable_nodes()
        if nodes is None:
            raise FlowError(Workflow.INCOMPLETE_DIAGRAM)
        self.source, self.sync, self.destination = nodes
        if self.destination.builtin or self.destination.connection is None:
            raise FlowError(
                f"{self.destination.label} is not a connection: only flows into a vendor can be planned or reconciled."
            )
        read_pin = mappings.pinned(read_version_id) if read_version_id else mappings.current(self.sync.read_mapping_id)
        write_pin = (
            mappings.pinned(write_version_id) if write_version_id else mappings.current(self.sync.write_mapping_id)
        )
        if read_pin is None or write_pin is None:
            raise FlowError(f"{self.sync.label} needs a read and a write mapping.")
        self.read_map, self.write_map = read_pin, write_pin
        self.standard = read_pin.standard
        self.source_connector = build_connector(self.source.connection)
        self.destination_connector = build_connector(self.destination.connection)

    @property
    def versions(self) -> tuple:
        return (getattr(self.read_map, "version_id", None), getattr(self.write_map, "version_id", None))

    def stage(self, records: list[dict]) -> list[Staged]:
        """Map one page; a later record with the same key replaces an earlier one (as in the engine)."""
        connector_cls = type(self.source_connector)
        staged: dict[str, Staged] = {}
        for raw in records:
            key, source_id = sinks.record_key(connector_cls, self.source.stream, raw)
            item = Staged(key, source_id, raw)
            result = self.read_map.compiled.apply(raw)
            if result.errors or result.output is None:
                item.stage, item.message = "read_mapping", _message(result.errors)
            else:
                item.standard = result.output
                written = self.write_map.compiled.apply(item.standard)
                if written.errors or written.output is None:
                    item.stage, item.message = "write_mapping", _message(written.errors)
                else:
                    item.payload = written.output
            staged.pop(key, None)
            staged[key] = item
        return list(staged.values())

    def read_cursor(self, since: str | None, cursor: str | None = None) -> str | None:
        if since:
            return self.source_connector.cursor_from_date(self.source.stream, since)
        return cursor


def _message(errors) -> str:
    first = errors[0] if errors else None
    if first is None:
        return "The mapping produced no output."
    where = f" (source {first.source_path} = {first.value!r})" if first.source_path else ""
    return f"{first.rule}: {first.message}{where}"
