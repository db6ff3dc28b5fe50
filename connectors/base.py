"""The connector contract every vendor package implements.

A connector is a class registered in `connectors.registry`. It declares what the setup wizard needs
(credential fields, streams with their fields) and does the talking to the vendor:

- `check()`      — the "Check Authentication" step: one cheap authenticated call, returning ok or a
                   specific, actionable reason (`CheckResult`);
- `discover()`   — the streams and their fields (types, labels) for the mapping dropdowns;
- `read(stream, cursor=…)` — a paged, incremental, resumable iterator of source records (`Page`s),
                   each page carrying the cursor to resume after it;
- `write(stream, records, …)` — send standard-shaped payloads to the vendor, idempotently, returning one
                   `WriteResult` per record (one bad record never sinks the batch);
- `verify_webhook(headers, body)` — authenticate an inbound vendor webhook on its raw body;
- `plan(stream, records, context=…)` — plan mode: the `PlannedWrite` that `write` would make for each
                   record (create / update with a field-level diff / unchanged / error), after the writer's
                   own lookup of what the destination holds, writing nothing;
- `current_state(stream)` — a writer stream's records as the destination holds them now (`StateRecord`
                   batches): the destination side of a reconciliation, including records no source has;
- `cursor_from_date(stream, since)` — the cursor that makes `read(stream, cursor=…)` start at records
                   modified on/after `since` (a backfill from a date). `since` is a datetime or an ISO
                   string; naive values are UTC. The default, None, means "read from the start": right
                   for streams that are not incremental, and for vendors that cannot filter by date.

Failures are `ConnectorError`s that say whether they are permanent (bad credentials, validation:
retrying will not help) or transient (timeouts, 429, 5xx, governance limits: retry with backoff),
and carry the vendor's own error code and message.

Connectors know nothing of workflows, Celery or the database: they get credentials and settings in,
and the `Connection` model (connectors/models.py) persists what they hand back (rotated tokens).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar


class ConnectorError(Exception):
    """A failure talking to a vendor. `permanent` tells the caller whether retrying can help."""

    permanent: ClassVar[bool] = True
    default_code: ClassVar[str] = "error"  # the `code` when none is given; each kind of failure names its own

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        vendor_code: str | None = None,
        retry_after: float | None = None,
        details: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        # Ekyam's classification, e.g. "auth", "rate_limit", "validation", "conflict"
        self.code = self.default_code if code is None else code
        self.status = status
        self.vendor_code = vendor_code  # the vendor's own code, e.g. "INVALID_LOGIN"
        self.retry_after = retry_after
        self.details = details or {}

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "code": self.code,
            "permanent": self.permanent,
            "status": self.status,
            "vendor_code": self.vendor_code,
            "details": self.details,
        }


class PermanentError(ConnectorError):
    permanent = True


class TransientError(ConnectorError):
    permanent = False


class AuthError(PermanentError):
    default_code = "auth"


class ValidationError(PermanentError):
    default_code = "validation"


class ConflictError(PermanentError):
    default_code = "conflict"


class RateLimitError(TransientError):
    default_code = "rate_limit"


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    help_text: str = ""
    secret: bool = False
    required: bool = True
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for a select box
    placeholder: str = ""
    address: bool = False  # a URL or host the client calls: checked by the SSRF guard when saved


def address_error(value: str) -> str | None:
    """Why a URL or host credential would be refused by the SSRF guard, or None (no DNS lookup here:
    the client checks every resolved address when it connects)."""
    from ekyam import http

    url = value if "://" in value else f"https://{value}"
    try:
        http.check_url_policy(url)
    except http.UnsafeDestination as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class StreamField:
    path: str  # dotted source path, e.g. "shippingAddress.country.id" or "item.items[*].quantity"
    type: str  # string, integer, number, boolean, date, datetime, object, array
    label: str = ""
    sample: Any = None


@dataclass(frozen=True)
class StreamSpec:
    name: str  # e.g. "shipments"
    label: str  # e.g. "Item fulfillments"
    standard: str  # the Ekyam Data Standard it maps to or from: product, shipment, inventory_level, order, location
    direction: str  # "read" (source) or "write" (destination)
    incremental: bool = False
    fields: tuple[StreamField, ...] = ()
    description: str = ""


@dataclass
class CheckResult:
    ok: bool
    message: str
    reason: str = "ok"  # machine-readable: ok, invalid_credentials, wrong_account, clock_skew, unreachable, ...
    details: dict = field(default_factory=dict)

    @classmethod
    def success(cls, message: str = "Authenticated.", **details) -> CheckResult:
        return cls(True, message, "ok", details)

    @classmethod
    def failure(cls, reason: str, message: str, **details) -> CheckResult:
        return cls(False, message, reason, details)


@dataclass
class ReadFailure:
    """A listed record that could not be fetched (its own GET kept failing while the listing worked)."""

    source_id: str
    error: ConnectorError


@dataclass
class Page:
    """One page of source records. `cursor` resumes the stream right after this page.

    `failures` are records of this page that could not be read after the client's bounded retries: the
    stream moves past them, and the engine keeps each as a record error to retry later by id."""

    records: list[dict]
    cursor: str | None
    done: bool = False
    requests: int = 1  # HTTP requests this page cost, for benchmarks and run statistics
    failures: list[ReadFailure] = field(default_factory=list)


@dataclass
class WriteResult:
    """Outcome of writing one record."""

    ok: bool
    key: str  # the record's stable Ekyam key (e.g. source system + id) it was written under
    destination_id: str | None = None
    action: str = "created"  # created, updated, unchanged, skipped
    error: ConnectorError | None = None
    response: dict | None = None


@dataclass
class PlannedWrite:
    """Plan mode's answer for one record: the write `write()` would make, made by nobody.

    `action` is create, update, unchanged or error. `diff` is {field: [destination value, planned value]}.
    `state` is the destination's current state as the planner read it (JSON-able): handed back to
    `write()` as `context["expected"]`, it makes the write refuse a record whose destination changed since
    (compare-and-set where the vendor has it, a fresh lookup and comparison where it has not).
    `values` are the compared values on both sides for reports: {"source": …, "destination": …}."""

    key: str
    action: str
    destination_id: str | None = None
    diff: dict = field(default_factory=dict)
    state: Any = None
    values: dict = field(default_factory=dict)
    error: ConnectorError | None = None


@dataclass
class StateRecord:
    """One record of a writer stream as the destination holds it now (`current_state`).

    `key` has the form of `WriteResult.destination_id`/`PlannedWrite.destination_id`, so a reconciliation
    tells which destination records some source record covers. `source_key` is the Ekyam key the record was
    written under when the destination keeps it (Whiplash's originator id), else "". `scope` groups records
    for reporting (a Shopify location): records in a scope no source record maps to are "unmapped"."""

    key: str
    label: str
    values: dict
    source_key: str = ""
    scope: str = ""


@dataclass
class WebhookEvent:
    """An inbound vendor webhook, verified, in a vendor-neutral shape."""

    event_id: str  # the vendor's id used for deduplication
    topic: str  # the vendor's topic, e.g. "item.inventory_changed", "inventory_levels/update"
    ekyam_type: str | None  # the Ekyam event type it becomes, e.g. "inventory.updated"
    payload: dict
    occurred_at: str | None = None


def parse_since(since: datetime | date | str) -> datetime:
    """A backfill's start as an aware UTC datetime: datetimes, dates (midnight) or ISO strings
    (`2025-01-31`, `2025-01-31T08:00:00Z`, `2025-01-31 09:00:00+01:00`); naive values are UTC."""
    if isinstance(since, datetime):
        moment = since
    elif isinstance(since, date):
        moment = datetime(since.year, since.month, since.day)
    else:
        try:
            moment = datetime.fromisoformat(str(since).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"Not a date or date-time: {since!r} (use ISO 8601, e.g. 2025-01-31).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def decode_json_cursor(cursor: str | None, vendor: str) -> Any:
    """A JSON cursor decoded: {} when there is none, a ValidationError naming `vendor` when it does not parse.
    What a decoded value that is not an object means is the vendor reader's call."""
    if not cursor:
        return {}
    try:
        return json.loads(cursor)
    except ValueError:
        raise ValidationError(f"Unreadable {vendor} cursor {cursor!r}.") from None


def ceil_to_second(moment: datetime) -> datetime:
    """The first whole second at or after `moment`: for vendors whose timestamps (and filters) have
    second precision, a record stamped in the second that `moment` falls inside is before it."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


class Connector:
    """Base class of the vendor connectors. Subclasses set the class attributes and implement methods."""

    slug: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str] = ""
    logo: ClassVar[str] = ""  # static path of an SVG logo
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    streams: ClassVar[tuple[StreamSpec, ...]] = ()
    default_concurrency: ClassVar[int] = 5
    # Dotted path of the vendor's sandbox emulator class (a connectors.sandbox.SandboxApp), imported only
    # when a sandbox is asked for: production never loads the emulators.
    sandbox_class: ClassVar[str] = ""
    # Set by `build_connector` when the stored connection has authenticated before. Lets a connector treat
    # an ambiguous vendor answer (NetSuite's 401-under-load) as transient instead of "bad credentials".
    credentials_verified: bool = False

    def __init__(
        self,
        credentials: dict[str, str],
        *,
        http=None,
        on_credentials_changed: Callable[[dict[str, str]], None] | None = None,
        concurrency_limiter=None,
        credentials_lock: Callable[[], AbstractContextManager] | None = None,
        reload_credentials: Callable[[], dict[str, str]] | None = None,
    ):
        """`credentials` holds every credential field (secrets decrypted). `on_credentials_changed` is called
        with the updates when the connector rotates a token, so the caller can persist them atomically.
        `concurrency_limiter` is a context-manager factory bounding requests in flight across workers.

        `credentials_lock` is a context-manager factory that gives this connection's credentials to one
        holder at a time across every process, and `reload_credentials` returns the credentials as stored
        now. A token refresh runs as: lock → reload → if another process already refreshed, adopt its
        token, else refresh and persist (`on_credentials_changed`) → unlock. Without them (a connector
        built outside `build_connector`) the lock is a no-op and reloading returns `credentials`."""
        self.credentials = credentials
        self._http = http
        self.on_credentials_changed = on_credentials_changed
        self.concurrency_limiter = concurrency_limiter
        self.credentials_lock = credentials_lock or nullcontext
        self.reload_credentials = reload_credentials or (lambda: dict(self.credentials))

    # --- catalog -----------------------------------------------------------------------------
    @classmethod
    def reader_streams(cls) -> list[StreamSpec]:
        return [s for s in cls.streams if s.direction == "read"]

    @classmethod
    def writer_streams(cls) -> list[StreamSpec]:
        return [s for s in cls.streams if s.direction == "write"]

    @classmethod
    def stream(cls, name: str, direction: str | None = None) -> StreamSpec:
        for spec in cls.streams:
            if spec.name == name and (direction is None or spec.direction == direction):
                return spec
        raise ValidationError(f"{cls.name} has no {direction or ''} stream named {name!r}.".replace("  ", " "))

    @classmethod
    def validate_credentials(cls, credentials: dict[str, str]) -> dict[str, str]:
        """{field name: message} for missing or invalid credential fields; {} when acceptable.
        Connectors with conditional fields (one auth method or another) extend this."""
        errors = {}
        known = {f.name for f in cls.credential_fields}
        for f in cls.credential_fields:
            if f.required and not str(credentials.get(f.name) or f.default or "").strip():
                errors[f.name] = "This field is required."
            if f.choices and credentials.get(f.name) and credentials[f.name] not in {v for v, _ in f.choices}:
                errors[f.name] = "Choose one of: " + ", ".join(v for v, _ in f.choices) + "."
            if f.address and str(credentials.get(f.name) or "").strip():
                message = address_error(str(credentials[f.name]).strip())
                if message:
                    errors[f.name] = message
        for name in credentials:
            if name not in known:
                errors[name] = f"{cls.name} has no credential field named {name!r}."
        return errors

    @classmethod
    def require_writer_stream(cls, name: str) -> StreamSpec:
        """The writer stream `name`; a ValidationError that lists the writer streams there are otherwise."""
        for spec in cls.writer_streams():
            if spec.name == name:
                return spec
        writes = ", ".join(s.name for s in cls.writer_streams())
        if not writes:
            raise ValidationError(f"{cls.name} has no writer: it is read-only.")
        raise ValidationError(f"{cls.name} has no writer for {name!r}; it writes {writes}.")

    @classmethod
    def sandbox_app(cls, seed: int = 42, records: int | None = None, **options):
        """The vendor's sandbox emulator (a connectors.sandbox.SandboxApp): `sandbox_class` built with a
        seed, a record count (None: the sandbox's default) and the sandbox's own options."""
        if not cls.sandbox_class:
            raise NotImplementedError
        module, _, name = cls.sandbox_class.rpartition(".")
        return getattr(importlib.import_module(module), name)(seed=seed, records=records, **options)

    def requests_made(self) -> int:
        """How many HTTP requests this connector's vendor client has made: 0 while none was built (a vendor's
        `client` is a cached property; looking here never builds one)."""
        return int(getattr(self.__dict__.get("client"), "requests_made", 0) or 0)

    @classmethod
    def has_sandbox(cls) -> bool:
        """Whether `sandbox_app` builds an emulator: `sandbox_class` is set, or the subclass builds its own."""
        return bool(cls.sandbox_class) or cls.sandbox_app.__func__ is not Connector.sandbox_app.__func__

    @classmethod
    def sandbox_credentials(cls, sandbox_url: str) -> dict[str, str]:
        """Credentials that authenticate against the sandbox at `sandbox_url` (demo seeding, tests)."""
        raise NotImplementedError

    # --- behaviour ---------------------------------------------------------------------------
    def check(self) -> CheckResult:
        raise NotImplementedError

    def discover(self) -> list[StreamSpec]:
        return list(self.streams)

    def read(
        self, stream: str, *, cursor: str | None = None, page_size: int | None = None, ids: list[str] | None = None
    ) -> Iterator[Page]:
        raise ValidationError(f"{self.name} has no reader for {stream!r}.")

    def cursor_from_date(self, stream: str, since: datetime | str) -> str | None:
        """A cursor for `read(stream, cursor=…)` that starts at records modified on/after `since` (see
        `parse_since` for the accepted values). None — the default — means "read from the start"."""
        return None

    def write(self, stream: str, records: list[dict], *, context: dict | None = None) -> list[WriteResult]:
        """`context`: `keys` (the records' stable Ekyam keys), `run_id`, and optionally `expected`: one
        `PlannedWrite.state` per record (None: "expected absent"). With `expected`, a record whose destination
        no longer matches is refused with a ConflictError (code "changed") instead of overwritten."""
        raise ValidationError(f"{self.name} has no writer: it is read-only.")

    def plan(self, stream: str, records: list[dict], *, context: dict | None = None) -> list[PlannedWrite]:
        """Plan mode of `write`: one `PlannedWrite` per record, in order, writing nothing. `context` as for
        `write`, plus optionally `state`: {StateRecord.key: StateRecord} from `current_state`, which the
        planner uses instead of reading those records again."""
        raise ValidationError(f"{self.name} has no plan mode for {stream!r}.")

    def current_state(self, stream: str, *, page_size: int | None = None) -> Iterator[list[StateRecord]]:
        """The records of the writer stream `stream` as the destination holds them now, in batches, read
        within the vendor's limits (cost budget, rate limit, concurrency) like every other read."""
        raise ValidationError(f"{self.name} cannot list the current state of {stream!r}.")

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> list[WebhookEvent]:
        raise AuthError(f"{self.name} does not send webhooks.")
