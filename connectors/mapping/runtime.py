"""Running compiled mappings: the per-record result (`MapResult`, `RecordMappingError`) and the
`CompiledMapping` that applies its closures to records and names the rule behind each violation of the
standard. Compiling lives in engine.py, its checks in checks.py."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from connectors.mapping.paths import parse_path
from connectors.standards import validate
from connectors.standards.validation import compiled_check


@dataclass
class RecordMappingError:
    rule: str
    source_path: str | None
    value: Any
    message: str

    def as_dict(self) -> dict:
        data = asdict(self)
        data["value"] = jsonable(self.value)
        return data


@dataclass
class MapResult:
    output: dict | None
    errors: list[RecordMappingError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"output": self.output, "errors": [e.as_dict() for e in self.errors]}


def jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


_INDEX = re.compile(r"\[\d+\]")


class CompiledMapping:
    """A checked mapping ready to run. Build it with `compile_mapping`."""

    def __init__(self, standard: str, direction: str, runs: tuple, sources: dict, missing_required: list[str]):
        self.standard = standard
        self.direction = direction
        self._runs = runs
        self._sources = sources
        self._check = compiled_check(standard) if direction == "read" else None
        self.missing_required = missing_required

    @property
    def is_complete(self) -> bool:
        return not self.missing_required

    def apply(self, record) -> MapResult:
        out: dict = {}
        errors: list[RecordMappingError] = []
        for run in self._runs:
            run(record, None, out, errors)
        if errors:
            return MapResult(None, errors)
        if self._check is not None and not self._check(out):
            return MapResult(None, self._violations(out))
        return MapResult(out, errors)

    def apply_many(self, records: Iterable) -> Iterator[MapResult]:
        apply = self.apply
        for record in records:
            yield apply(record)

    def _violations(self, out: dict) -> list[RecordMappingError]:
        errors = []
        for violation in validate(self.standard, out):
            normalized = _INDEX.sub("[]", violation.path)
            source = None
            probe = normalized
            while probe:
                if probe in self._sources:
                    source = self._sources[probe]
                    break
                probe = probe.rsplit(".", 1)[0] if "." in probe else ""
            if isinstance(source, tuple):
                element_path, inner_source = source
                index = _INDEX.search(violation.path)
                source = f"{element_path(int(index.group()[1:-1]))}.{inner_source}" if index else inner_source
            errors.append(RecordMappingError(violation.path, source, value_at(out, violation.path), violation.message))
        return errors


def value_at(record, path: str):
    node = record
    for step in parse_path(path) if path else ():
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node
