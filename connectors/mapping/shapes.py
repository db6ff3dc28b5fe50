"""What sample values look like: barcodes with valid check digits, e-mails, ISO codes, dates (also epoch
seconds/milliseconds and timestamps without an offset), money, quantities, tracking numbers. A field has a shape when most of its non-empty samples have it."""

from __future__ import annotations

import re
from datetime import date, datetime

import pycountry

# ISO 3166-1 (alpha-2 and alpha-3) and ISO 4217 codes, kept current by pycountry rather than by hand.
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(c.alpha_3 for c in pycountry.countries)
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
# Instants from 2000-01-01 to 2100-01-01 as Unix epoch seconds or milliseconds.
EPOCH_SECONDS = (946_684_800, 4_102_444_800)
EPOCH_MILLISECONDS = (EPOCH_SECONDS[0] * 1000, EPOCH_SECONDS[1] * 1000)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$")
# ISO 8601 with a time; day-first or month-first dates with a time (`05-03-2024 14:22:10`); RFC 2822
# (`Tue, 05 Mar 2024 14:22:10 +0000`); Microsoft JSON dates (`/Date(1709648530000+0000)/`).
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
    r"|^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}[T ]\d{1,2}:\d{2}"
    r"|^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}"
    r"|^/Date\(-?\d+([+-]\d{4})?\)/$"
)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_INTEGER = re.compile(r"^-?\d+$")
_URL = re.compile(r"^https?://\S+$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$|^[A-Z]\d[A-Z] ?\d[A-Z]\d$|^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.I)
_TRACKING = re.compile(
    r"^1Z[0-9A-Z]{16}$"  # UPS
    r"|^\d{12}$|^\d{15}$|^\d{20}$"  # FedEx
    r"|^9[2-5]\d{18,24}$"  # USPS
    r"|^[A-Z]{2}\d{9}[A-Z]{2}$",  # UPU / international post
    re.I,
)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{1,40}$")
_STATUS = re.compile(r"^[A-Za-z_]{1,20}$")
# Generated keys: UUIDs/GUIDs and 24-40-digit hex (Mongo ids, hashes). Nobody types these as a SKU or number.
_OPAQUE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[0-9a-f]{24,40}$", re.I)


def gtin_valid(text: str) -> bool:
    """UPC-A/E, EAN-8/13 and GTIN-14 check digit."""
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in text]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _epoch(number: int) -> set[str]:
    if EPOCH_SECONDS[0] <= number < EPOCH_SECONDS[1]:
        return {"epoch", "epoch_s"}
    if EPOCH_MILLISECONDS[0] <= number < EPOCH_MILLISECONDS[1]:
        return {"epoch", "epoch_ms"}
    return set()


def _value_shapes(value) -> set[str]:
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"integer", "number"} | _epoch(value)
    if isinstance(value, float):
        return {"number", "decimal"} | ({"integer"} if value.is_integer() else set())
    if isinstance(value, (date, datetime)):
        return {"datetime" if isinstance(value, datetime) else "date"}
    if isinstance(value, list):
        return {"list"}
    if isinstance(value, dict):
        return {"object"}
    text = str(value).strip()
    shapes: set[str] = set()
    if not text:
        return shapes
    lowered = text.lower()
    if lowered in ("true", "false", "yes", "no"):
        shapes.add("boolean")
    if _EMAIL.match(text):
        shapes.add("email")
    if _URL.match(text):
        shapes.add("url")
    if gtin_valid(text):
        shapes.add("gtin")
    if _TRACKING.match(text):
        shapes.add("tracking")
    if text in COUNTRIES:
        shapes.add("country")
    if text in CURRENCIES:
        shapes.add("currency")
    if _DATETIME.match(text):
        shapes.add("datetime")
        if not _OFFSET.search(text):
            shapes.add("naive_datetime")
    elif _DATE.match(text):
        shapes.add("date")
    if _INTEGER.match(text):
        shapes |= {"integer", "number", "numeric_text"} | _epoch(int(text))
    elif _DECIMAL.match(text):
        shapes |= {"decimal", "number", "numeric_text"}
    if _ZIP.match(text):
        shapes.add("zip")
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 7 and not _INTEGER.match(text):
        shapes.add("phone")
    if _OPAQUE.match(text):
        shapes.add("opaque_id")
    if " " not in text and _CODE.match(text) and not shapes & {"email", "url", "datetime", "date"}:
        shapes.add("code")
    if _STATUS.match(text) and len(text) <= 12:
        shapes.add("word")
    if len(text) >= 40 or "<" in text:
        shapes.add("long_text")
    if " " in text and not shapes & {"phone", "datetime"}:
        shapes.add("words")
    return shapes


def detect(samples) -> dict[str, float]:
    """Shape -> share of non-empty samples having it."""
    values = [s for s in samples or [] if s is not None and s != ""]
    if not values:
        return {}
    counts: dict[str, int] = {}
    for value in values[:50]:
        for shape in _value_shapes(value):
            counts[shape] = counts.get(shape, 0) + 1
    total = min(len(values), 50)
    return {shape: count / total for shape, count in counts.items()}


def has(shapes: dict[str, float], shape: str, share: float = 0.8) -> bool:
    return shapes.get(shape, 0.0) >= share
