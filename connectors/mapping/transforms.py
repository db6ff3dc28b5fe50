"""The transform ops a rule's value passes through, in order.

Each op is built once, at compile time, into a function `fn(value, record, parent) -> value` with
its options checked then (unknown option, bad unit, unknown lookup table, bad timezone: the mapping
is invalid). At run time a function either returns the new value or raises TransformError with the
offending value; the engine turns that into a record-level error.

Conventions: None passes through unchanged (except `default`); scalar ops applied to a list (from
a wildcard path) apply to each element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MISSING = object()
TransformFn = Callable[[object, object, object], object]


class TransformError(ValueError):
    def __init__(self, message: str, value=None):
        super().__init__(message)
        self.message = message
        self.value = value


class SpecError(ValueError):
    """A transform spec that can never work (reported when the mapping is saved)."""


@dataclass
class BuildContext:
    lookups: dict[str, dict]
    # Compiles a source path (which may start with `$parent.`) into fn(record, parent).
    compile_source: Callable[[str], Callable[[object, object], object]]


@dataclass(frozen=True)
class Op:
    build: Callable[[dict, BuildContext], TransformFn]
    kind: Callable[[dict, str, BuildContext], str]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = field(default=())


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar(fn: Callable[[object], object]) -> TransformFn:
    """Lift a value-only function: None stays None, lists are mapped element by element."""

    def apply(value, record, parent):
        if value is None:
            return None
        if value.__class__ is list:
            return [fn(item) for item in value if item is not None]
        return fn(value)

    return apply


def _keep_list(kind_out: str):
    return lambda spec, kind_in, ctx: "list" if kind_in == "list" else kind_out


# --- text ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value.__class__ is str:
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise TransformError(f"expected text, got {_short(value)}", value)


def _build_trim(spec, ctx):
    return _scalar(lambda v: v.strip() if v.__class__ is str else _text(v).strip())


def _build_upper(spec, ctx):
    return _scalar(lambda v: _text(v).upper())


def _build_lower(spec, ctx):
    return _scalar(lambda v: _text(v).lower())


def _build_prefix(spec, ctx):
    prefix = spec["value"]
    if not isinstance(prefix, str):
        raise SpecError("prefix `value` must be text")
    return _scalar(lambda v: prefix + _text(v))


# --- numbers and booleans --------------------------------------------------------------------


def _to_integer(value):
    kind = value.__class__
    if kind is int:
        return value
    if kind is float:
        if value.is_integer():
            return int(value)
        raise TransformError(f"{_short(value)} is not a whole number", value)
    if kind is str:
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise TransformError(f"{_short(value)} is not a whole number", value) from None
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
        raise TransformError(f"{_short(value)} is not a whole number", value)
    if kind is Decimal and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise TransformError(f"{_short(value)} is not a whole number", value)


def _decimal(value) -> Decimal:
    kind = value.__class__
    if kind is Decimal:
        number = value
    elif kind is int or kind is float or kind is str:
        try:
            number = Decimal(str(value).strip().replace(",", "") if kind is str else str(value))
        except InvalidOperation:
            raise TransformError(f"{_short(value)} is not a number", value) from None
    else:
        raise TransformError(f"{_short(value)} is not a number", value)
    if not number.is_finite():
        raise TransformError(f"{_short(value)} is not a finite number", value)
    return number


def _build_to_decimal(spec, ctx):
    places = spec.get("places")
    if places is None:
        return _scalar(lambda v: None if v == "" else _decimal(v))
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 10:
        raise SpecError("to_decimal `places` must be a whole number from 0 to 10")
    quantum = Decimal(1).scaleb(-places)
    return _scalar(lambda v: None if v == "" else _decimal(v).quantize(quantum))


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def _to_boolean(value):
    kind = value.__class__
    if kind is bool:
        return value
    if kind is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if not text:
            return None
    elif kind is int and value in (0, 1):
        return bool(value)
    raise TransformError(f"{_short(value)} is not a yes/no value", value)


# --- dates -----------------------------------------------------------------------------------


def _zone(spec) -> ZoneInfo | None:
    name = spec.get("timezone")
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise SpecError(f"unknown timezone {name!r}") from None


def _format(spec) -> str | None:
    fmt = spec.get("format")
    if fmt in EPOCH_FORMATS:
        return fmt
    if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt):
        raise SpecError("`format` must be a strptime format such as %m/%d/%Y, or epoch_s / epoch_ms")
    return fmt


# Numbers (or numeric strings) counting seconds or milliseconds since 1970-01-01 UTC.
EPOCH_FORMATS = {"epoch_s": 1, "epoch_ms": 1000}


def _parse_moment(value, fmt: str | None):
    """datetime (possibly naive) or date from a string, number (epoch seconds), date or datetime."""
    kind = value.__class__
    if fmt in EPOCH_FORMATS:
        if kind is str and not value.strip():
            return None
        if kind is bool:
            raise TransformError(f"{_short(value)} is not a date", value)
        try:
            seconds = float(value) / EPOCH_FORMATS[fmt]
        except (TypeError, ValueError):
            raise TransformError(f"{_short(value)} is not a number of {fmt.removeprefix('epoch_')} since 1970", value)
        return datetime.fromtimestamp(seconds, UTC)
    if kind is str:
        text = value.strip()
        if not text:
            return None
        try:
            if fmt:
                return datetime.strptime(text, fmt)
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            expected = f"the format {fmt}" if fmt else "ISO 8601"
            raise TransformError(f"{_short(value)} is not a date in {expected}", value) from None
    if kind is datetime or kind is date:
        return value
    if (kind is int or kind is float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise TransformError(f"{_short(value)} is not a date", value)


def _build_to_date(spec, ctx):
    fmt, zone = _format(spec), _zone(spec)

    def convert(value):
        moment = _parse_moment(value, fmt)
        if moment is None:
            return None
        if moment.__class__ is datetime:
            # An instant is turned into the calendar date of the business's timezone.
            if zone is not None and moment.tzinfo is not None:
                moment = moment.astimezone(zone)
            moment = moment.date()
        return moment.isoformat()

    return _scalar(convert)


def _build_to_datetime(spec, ctx):
    fmt, zone = _format(spec), _zone(spec)
    naive_zone = zone or UTC

    def convert(value):
        moment = _parse_moment(value, fmt)
        if moment is None:
            return None
        if moment.__class__ is date:
            moment = datetime(moment.year, moment.month, moment.day)
        if moment.tzinfo is None:
            # Input without an offset is read in the configured timezone (UTC by default).
            moment = moment.replace(tzinfo=naive_zone)
        return moment.isoformat()

    return _scalar(convert)


# --- units -----------------------------------------------------------------------------------

UNITS = {
    "g": ("weight", Decimal(1)),
    "kg": ("weight", Decimal(1000)),
    "oz": ("weight", Decimal("28.349523125")),
    "lb": ("weight", Decimal("453.59237")),
    "mm": ("length", Decimal(1)),
    "cm": ("length", Decimal(10)),
    "m": ("length", Decimal(1000)),
    "in": ("length", Decimal("25.4")),
}
UNIT_ALIASES = {
    "gram": "g",
    "grams": "g",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "ounce": "oz",
    "ounces": "oz",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "millimeter": "mm",
    "millimeters": "mm",
    "centimeter": "cm",
    "centimeters": "cm",
    "meter": "m",
    "meters": "m",
    "inch": "in",
    "inches": "in",
}


def normalize_unit(name) -> str | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    key = UNIT_ALIASES.get(key, key)
    return key if key in UNITS else None


def _factor(source: str, target: str) -> float:
    kind_from, from_factor = UNITS[source]
    kind_to, to_factor = UNITS[target]
    if kind_from != kind_to:
        raise SpecError(f"cannot convert {source} ({kind_from}) to {target} ({kind_to})")
    return float(from_factor / to_factor)


def _build_convert_unit(spec, ctx):
    target = normalize_unit(spec.get("to"))
    if target is None:
        raise SpecError(f"unknown unit {spec.get('to')!r}; known: {', '.join(UNITS)}")
    if ("from" in spec) == ("from_path" in spec):
        raise SpecError("convert_unit needs exactly one of `from` or `from_path`")

    def number(value) -> float:
        if value.__class__ is int or value.__class__ is float:
            return value
        return float(_decimal(value))

    if "from" in spec:
        source = normalize_unit(spec["from"])
        if source is None:
            raise SpecError(f"unknown unit {spec['from']!r}; known: {', '.join(UNITS)}")
        factor = _factor(source, target)
        return _scalar(lambda v: round(number(v) * factor, 6))

    unit_of = ctx.compile_source(spec["from_path"])
    factors = {name: float(UNITS[name][1] / UNITS[target][1]) for name in UNITS if UNITS[name][0] == UNITS[target][0]}

    def convert(value, record, parent):
        if value is None:
            return None
        raw_unit = unit_of(record, parent)
        factor = factors.get(normalize_unit(raw_unit))
        if factor is None:
            raise TransformError(f"unknown or incompatible unit {_short(raw_unit)} to convert to {target}", raw_unit)
        return round(number(value) * factor, 6)

    return convert


# --- lookups and text shaping ----------------------------------------------------------------


def _table(spec, ctx) -> tuple[str, dict]:
    if ("table" in spec) == ("values" in spec):
        raise SpecError("lookup needs exactly one of `table` (a lookup table's name) or `values`")
    if "values" in spec:
        if not isinstance(spec["values"], dict):
            raise SpecError("lookup `values` must be an object of value -> replacement")
        return "inline values", spec["values"]
    name = spec["table"]
    if name not in ctx.lookups:
        raise SpecError(f"lookup table {name!r} does not exist")
    return f"lookup table {name!r}", ctx.lookups[name]


def _build_lookup(spec, ctx):
    label, table = _table(spec, ctx)
    table = {str(key): value for key, value in table.items()}
    strict = spec.get("strict", True)
    has_default = "default" in spec
    default = spec.get("default")
    pick = spec.get("field")

    def look(value):
        key = value if value.__class__ is str else str(value)
        found = table.get(key, MISSING)
        if found is MISSING:
            if has_default:
                return default
            if strict:
                raise TransformError(f"unknown value {_short(value)} for {label}", value)
            return value
        if pick is not None:
            return found.get(pick) if isinstance(found, dict) else None
        return found

    return _scalar(look)


def _lookup_kind(spec, kind_in, ctx):
    if kind_in == "list":
        return "list"
    try:
        _, table = _table(spec, ctx)
    except SpecError:
        return "any"
    values = [v.get(spec["field"]) if isinstance(v, dict) and "field" in spec else v for v in table.values()]
    if "default" in spec:
        values.append(spec["default"])
    if values and all(isinstance(v, str) for v in values):
        return "string"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "any"


def _build_default(spec, ctx):
    fallback = spec["value"]

    def apply(value, record, parent):
        if value is None or value == "" or value == []:
            return fallback
        return value

    return apply


def _build_split(spec, ctx):
    separator = spec["separator"]
    if not isinstance(separator, str) or not separator:
        raise SpecError("split `separator` must be non-empty text")
    index = spec.get("index")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise SpecError("split `index` must be a whole number")

    def split(value, record, parent):
        if value is None:
            return None
        if value.__class__ is list:
            return value
        parts = [part.strip() for part in _text(value).split(separator)]
        parts = [part for part in parts if part]
        if index is None:
            return parts
        return parts[index] if -len(parts) <= index < len(parts) else None

    return split


def _build_join(spec, ctx):
    separator = spec["separator"]
    if not isinstance(separator, str):
        raise SpecError("join `separator` must be text")

    def join(value, record, parent):
        if value is None or value.__class__ is str:
            return value
        if value.__class__ is not list:
            return _text(value)
        return separator.join(_text(item) for item in value if item is not None and item != "") or None

    return join


# --- money -----------------------------------------------------------------------------------


def money_amount(value) -> str:
    number = _decimal(value)
    if number.as_tuple().exponent > -2:
        number = number.quantize(Decimal("0.01"))
    return format(number, "f")


def _build_money(spec, ctx):
    if ("currency" in spec) == ("currency_path" in spec):
        raise SpecError("money needs exactly one of `currency` or `currency_path`")
    if "currency" in spec:
        currency = spec["currency"]
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise SpecError(f"money `currency` must be an ISO 4217 code such as USD, not {currency!r}")
        currency = currency.upper()

        def fixed(value, record, parent):
            if value is None or value == "":
                return None
            if isinstance(value, dict):
                value = value.get("amount")
            return {"amount": money_amount(value), "currency": currency}

        return fixed

    currency_of = ctx.compile_source(spec["currency_path"])

    def from_path(value, record, parent):
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            value = value.get("amount")
        code = currency_of(record, parent)
        if not isinstance(code, str) or len(code.strip()) != 3:
            raise TransformError(f"no ISO currency code at {spec['currency_path']} (got {_short(code)})", code)
        return {"amount": money_amount(value), "currency": code.strip().upper()}

    return from_path


def _same(spec, kind_in, ctx):
    return kind_in


OPS: dict[str, Op] = {
    "trim": Op(_build_trim, _keep_list("string")),
    "upper": Op(_build_upper, _keep_list("string")),
    "lower": Op(_build_lower, _keep_list("string")),
    "to_integer": Op(lambda spec, ctx: _scalar(_to_integer), _keep_list("integer")),
    "to_decimal": Op(_build_to_decimal, _keep_list("decimal"), optional=("places",)),
    "to_boolean": Op(lambda spec, ctx: _scalar(_to_boolean), _keep_list("boolean")),
    "to_date": Op(_build_to_date, _keep_list("date"), optional=("format", "timezone")),
    "to_datetime": Op(_build_to_datetime, _keep_list("datetime"), optional=("format", "timezone")),
    "convert_unit": Op(_build_convert_unit, _keep_list("number"), required=("to",), optional=("from", "from_path")),
    "lookup": Op(_build_lookup, _lookup_kind, optional=("table", "values", "default", "strict", "field")),
    "default": Op(_build_default, _same, required=("value",)),
    "split": Op(
        _build_split,
        lambda spec, kind_in, ctx: "string" if spec.get("index") is not None else "list",
        required=("separator",),
        optional=("index",),
    ),
    "join": Op(_build_join, lambda spec, kind_in, ctx: "string", required=("separator",)),
    "money": Op(_build_money, lambda spec, kind_in, ctx: "money", optional=("currency", "currency_path")),
    "prefix": Op(_build_prefix, _keep_list("string"), required=("value",)),
}


def check_spec(spec) -> tuple[str, Op]:
    """The op of a transform spec, after checking its name and option names."""
    if not isinstance(spec, dict) or not isinstance(spec.get("op"), str):
        raise SpecError(f"a transform must be an object with an `op`, got {_short(spec)}")
    name = spec["op"]
    op = OPS.get(name)
    if op is None:
        raise SpecError(f"unknown transform {name!r}; known: {', '.join(OPS)}")
    options = set(spec) - {"op"}
    unknown = options - set(op.required) - set(op.optional)
    if unknown:
        raise SpecError(f"unknown option(s) {', '.join(sorted(unknown))} for transform {name!r}")
    missing = [key for key in op.required if key not in spec]
    if missing:
        raise SpecError(f"transform {name!r} needs {', '.join(missing)}")
    return name, op
