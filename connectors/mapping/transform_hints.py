"""The transforms a suggested pair needs: to_date/to_datetime (also epoch seconds and milliseconds),
to_integer/to_decimal, money with its currency field, to_boolean, a status lookup, upper/lower, split."""

from __future__ import annotations

import re
from datetime import datetime

from connectors.mapping import shapes as shape_detect
from connectors.mapping.features import Target
from connectors.mapping.sources import Source
from connectors.mapping.transforms import normalize_unit
from connectors.mapping.words import tokens

_US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")

STATUS_WORDS = {
    "shipment": {
        "a": "picked",
        "b": "packed",
        "c": "shipped",
        "picked": "picked",
        "packed": "packed",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "processing": "pending",
        "pending": "pending",
        "printed": "pending",
        "label purchased": "packed",
        "shipped externally": "shipped",
    },
    "product": {"active": "active", "draft": "inactive", "archived": "archived", "inactive": "inactive"},
}


def _lookup_for_enum(standard: str, target: Target, source: Source) -> list:
    samples = [s for s in source.samples if s is not None and s != ""]
    if not samples or not target.enum:
        return []
    as_text = [str(s) for s in samples]
    if all(s in target.enum for s in as_text):
        return []
    if all(s.lower() in target.enum for s in as_text):
        return [{"op": "lower"}]
    if target.leaf == "unit":
        values = {s: normalize_unit(s) for s in as_text if normalize_unit(s) in target.enum}
        return [{"op": "lookup", "values": values}] if values else []
    if all(isinstance(s, bool) or str(s).lower() in ("true", "false") for s in samples) and target.leaf == "status":
        inverted = "inactive" in source.element_path.lower()
        yes, no = ("inactive", "active") if inverted else ("active", "inactive")
        return [{"op": "lookup", "values": {"true": yes, "false": no, "True": yes, "False": no}}]
    words = STATUS_WORDS.get(standard, {})
    values = {s: words[s.lower()] for s in as_text if s.lower() in words and words[s.lower()] in target.enum}
    return [{"op": "lookup", "values": values}] if values else []


# Date formats other than ISO 8601 that APIs send, tried in this order (month-first before day-first with
# slashes, as US systems write them; day-first with dashes and dots, as European ones do).
_WRITTEN_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%a, %d %b %Y %H:%M:%S %z",
)


def _written_format(samples: list) -> str | None:
    """The strptime format every sample is written in, when they are strings that ISO 8601 does not read."""
    texts = [s.strip() for s in samples if isinstance(s, str)]
    if not texts or len(texts) != len(samples):
        return None
    try:
        for text in texts:
            datetime.fromisoformat(text)
        return None
    except ValueError:
        pass
    for fmt in _WRITTEN_FORMATS:
        try:
            for text in texts:
                datetime.strptime(text, fmt)
        except ValueError:
            continue
        return fmt
    return None


def _currency_source(sources: list[Source], source: Source) -> Source | None:
    for other in sources:
        if other is not source and "currency" in tokens(other.element_path) and other.in_list == source.in_list:
            return other
    return None


def transforms_for(standard: str, target: Target, source: Source, sources: list[Source]) -> list:
    shapes, has = source.shapes, shape_detect.has
    kind = target.kind
    samples = [s for s in source.samples if s is not None and s != ""]
    if kind in ("date", "datetime"):
        op = "to_date" if kind == "date" else "to_datetime"
        if has(shapes, "epoch"):
            return [{"op": op, "format": "epoch_ms" if has(shapes, "epoch_ms") else "epoch_s"}]
        if kind == "date" and samples and all(isinstance(s, str) and _US_DATE.match(s) for s in samples):
            return [{"op": "to_date", "format": "%m/%d/%Y"}]
        written = _written_format(samples)
        return [{"op": op, "format": written}] if written else [{"op": op}]
    if kind == "integer":
        return [] if samples and all(type(s) is int for s in samples) else [{"op": "to_integer"}]
    if kind == "number":
        return [{"op": "to_decimal"}] if has(shapes, "numeric_text") or not samples else []
    if kind == "money":
        currency = _currency_source(sources, source)
        if currency is not None:
            path = currency.element_path if source.in_list else currency.path
            return [{"op": "money", "currency_path": path}]
        return [{"op": "money", "currency": "USD"}]
    if kind == "boolean":
        return [] if samples and all(isinstance(s, bool) for s in samples) else [{"op": "to_boolean"}]
    if target.enum:
        return _lookup_for_enum(standard, target, source)
    if target.leaf in ("country", "region", "currency") and samples and any(str(s) != str(s).upper() for s in samples):
        return [{"op": "upper"}]
    if kind == "list" and samples and all(isinstance(s, str) and "," in s for s in samples):
        return [{"op": "split", "separator": ","}]
    return []
