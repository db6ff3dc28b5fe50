"""The NetSuite sandbox: SuiteTalk REST web services over real HTTP, for the demo and the tests.

What it emulates (vendor-apis.md §1 and §4):
- TBA verification (RFC 5849, HMAC-SHA256 only, realm = account id in upper case, nonces used once,
  timestamps within 5 minutes) and OAuth 2.0 client credentials (PS256 JWT assertion → Bearer token);
  401 INVALID_LOGIN bodies with the OAuth problem code in `WWW-Authenticate`;
- record collections (`links`, `count`, `hasMore`, `offset`, `totalResults`, `q` with date
  operators on lastModifiedDate), records with `expandSubResources`, sublist sub-resources;
- SuiteQL (`Prefer: transient` required, lower-case string columns, limit/offset, a result cap);
- governance: 429 CONCURRENCY_LIMIT_EXCEEDED when more requests are in flight than the limit;
- `o:errorDetails` error envelopes; 403 INSUFFICIENT_PERMISSION for a role without a permission.

Sandbox-only control surface (besides the frame's `/_sandbox/state|knobs|reset`):
- `POST  /_sandbox/records/{type}` create, `PATCH /_sandbox/records/{type}/{id}` change (lastModifiedDate
  moves to now unless the body sets it);
- `POST  /_sandbox/tokens` `{"token_id", "token_secret", "revoked", "permissions": [...]}`;
- `POST  /_sandbox/certificates` `{"certificate_id", "client_id", "public_key"}` for OAuth 2.0;
- knobs: `concurrency_limit`, `max_query_results`, `clock_tolerance`, `timezone` (SuiteQL dates in that IANA zone),
  `unreadable` (record ids whose GET always answers 500: one record that cannot be read),
  `redirect_to` (every API call answers 302 to that URL with an empty body, as an SSO login page or a
  misconfigured proxy in front of the account does; empty turns it off).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import UTC, datetime, tzinfo
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import jwt

from connectors.netsuite import tba
from connectors.netsuite.sandbox import suiteql
from connectors.netsuite.sandbox.data import NetSuiteData
from connectors.netsuite.sandbox.rows import LazyRow
from connectors.sandbox import Request, Response, SandboxApp

ACCOUNT_ID = "1234567_SB1"
CONSUMER_KEY = "ekyam-sandbox-consumer-key"
CONSUMER_SECRET = "ekyam-sandbox-consumer-secret"
TOKEN_ID = "ekyam-sandbox-token-id"
TOKEN_SECRET = "ekyam-sandbox-token-secret"
DEFAULT_RECORDS = 300
RECORD_TYPES = {"inventoryitem": "inventoryItem", "itemfulfillment": "itemFulfillment"}
ALL_PERMISSIONS = ("inventoryItem", "itemFulfillment", "suiteql")
TABLES = {"item": "inventoryItem", "transaction": "itemFulfillment"}
SUBLISTS = {
    "inventoryItem": ("price", "locations", "subsidiary"),
    "itemFulfillment": ("item", "package", "shippingAddress"),
}
ERROR_TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
    401: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    403: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4",
    404: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
}
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}
INVALID_LOGIN = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > "
    "User Management > View Login Audit Trail."
)
_Q_CLAUSE = re.compile(r'^\s*lastModifiedDate\s+(ON_OR_AFTER|AFTER|BEFORE|ON_OR_BEFORE|ON)\s+"([^"]+)"\s*$', re.I)


def ns_error(status: int, code: str, detail: str, headers: dict | None = None, **extra) -> Response:
    error = {"detail": detail, "o:errorCode": code, **{f"o:{k}": v for k, v in extra.items()}}
    body = {
        "type": ERROR_TYPES.get(status, "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"),
        "title": TITLES.get(status, "Bad Request"),
        "status": status,
        "o:errorDetails": [error],
    }
    return Response.json(body, status, headers, content_type="application/vnd.oracle.resource+json; type=error")


def _shipped(record: dict, rng) -> dict:
    """The changes that mark a picked or packed fulfillment as shipped, with one tracked package."""
    tracking = "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    return {
        "shipStatus": {"id": "C", "refName": "Shipped"},
        "status": {"id": "C", "refName": "Shipped"},
        "packedDate": record["tranDate"],
        "shippedDate": record["tranDate"],
        "package": {
            "items": [{"links": [], "packageTrackingNumber": tracking, "packageWeight": 1.2, "packageDescr": "Box"}],
            "totalResults": 1,
        },
    }


def parse_q_date(text: str) -> datetime:
    """The N/query date format: `M/D/YYYY` with an optional `HH:mm` (the sandbox user's preference)."""
    for fmt in ("%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


class NetSuiteSandbox(SandboxApp):
    name = "netsuite"

    def __init__(self, seed: int = 42, records: int | None = None, account_id: str = ACCOUNT_ID):
        super().__init__(seed)
        self.account_id = account_id
        self.data = NetSuiteData(seed, DEFAULT_RECORDS if records is None else records)
        self.concurrency_limit = 5
        self.max_query_results = 100_000
        self.clock_tolerance = 300
        self.zone: tzinfo = UTC  # the integration user's Time Zone preference, as SuiteQL applies it
        self.unreadable: set[str] = set()  # record ids whose GET always fails (a fault knob)
        self.redirect_to = ""  # the `redirect_to` knob
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self._reset_auth()
        api = "/services/rest/record/v1"
        self.route("GET", api + "/{record_type}", self.list_records)
        self.route("GET", api + "/{record_type}/{record_id}", self.get_record)
        self.route("GET", api + "/{record_type}/{record_id}/{sublist}", self.get_sublist)
        self.route("POST", "/services/rest/query/v1/suiteql", self.suiteql)
        self.route("POST", "/services/rest/auth/oauth2/v1/token", self.token)
        self.route("POST", "/_sandbox/records/{record_type}", self.admin_create)
        self.route("PATCH", "/_sandbox/records/{record_type}/{record_id}", self.admin_change)
        self.route("POST", "/_sandbox/tokens", self.admin_token)
        self.route("POST", "/_sandbox/certificates", self.admin_certificate)

    def _reset_auth(self) -> None:
        self.consumers = {CONSUMER_KEY: CONSUMER_SECRET}
        self.tokens = {TOKEN_ID: {"secret": TOKEN_SECRET, "revoked": False, "permissions": set(ALL_PERMISSIONS)}}
        self.certificates: dict[str, dict] = {}
        self.bearer_tokens: dict[str, dict] = {}
        self.nonces: dict[str, float] = {}
        self.stats = {"in_flight_peak": 0, "rejected_429": 0, "rejected_401": 0, "record_gets": 0, "suiteql": 0}

    # --- frame hooks ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"requests": self.request_count, **self.stats, "records": self.data.records}

    def reset(self) -> None:
        self.data.reset()
        self._reset_auth()
        self.concurrency_limit, self.max_query_results, self.clock_tolerance = 5, 100_000, 300
        self.zone = UTC
        self.unreadable: set[str] = set()
        self.redirect_to = ""

    def set_extra_knobs(self, data: dict) -> None:
        for key in ("concurrency_limit", "max_query_results", "clock_tolerance"):
            if key in data:
                setattr(self, key, int(data[key]))
        if "timezone" in data:
            self.zone = ZoneInfo(data["timezone"] or "UTC")
        if "unreadable" in data:
            self.unreadable = {str(i) for i in data["unreadable"] or []}
        if "redirect_to" in data:
            self.redirect_to = str(data["redirect_to"] or "")

    def snapshot(self) -> dict:
        return self.data.snapshot()

    def restore(self, data: dict) -> None:
        self.data.restore(data)

    def activity(self, rng) -> tuple[dict, list]:
        """Orders keep shipping: one new item fulfillment a round (now and then two), each a new
        customer at a new address with its own lines, marked shipped with its packages' tracking."""
        created = []
        for _ in range(rng.choice([1, 1, 1, 2])):
            record = self.data.upsert("itemFulfillment", None, {}, datetime.now(UTC))
            if record["shipStatus"]["id"] != "C":
                record = self.data.upsert("itemFulfillment", record["id"], _shipped(record, rng), datetime.now(UTC))
            created.append({"id": record["id"], "tranId": record["tranId"], "customer": record["entity"]["refName"]})
        return {"fulfillments": created}, []

    def error_response(self, status: int) -> Response:
        if status == 429:
            return self._concurrency_error()
        if status == 401:
            return self._unauthorized("token_rejected", "Invalid login attempt.")
        return ns_error(status, "UNEXPECTED_ERROR", f"An unexpected error occurred (injected {status}).")

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return super().dispatch(request)
        if self.redirect_to:
            return Response.empty(302, {"Location": self.redirect_to})
        with self._flight_lock:
            self._in_flight += 1
            self.stats["in_flight_peak"] = max(self.stats["in_flight_peak"], self._in_flight)
            over = self._in_flight > self.concurrency_limit
            if over:
                self.stats["rejected_429"] += 1
        try:
            if over:
                return self._concurrency_error()
            return super().dispatch(request)
        finally:
            with self._flight_lock:
                self._in_flight -= 1

    def _concurrency_error(self) -> Response:
        # NetSuite's title really is "Bad Request" on this 429, and there is no Retry-After.
        body = {
            "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
            "title": "Bad Request",
            "status": 429,
            "o:errorDetails": [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ],
        }
        return Response.json(body, 429, content_type="application/vnd.oracle.resource+json; type=error")

    # --- authentication ------------------------------------------------------------------------------
    def _unauthorized(self, problem: str, description: str, bearer: bool = False) -> Response:
        self.stats["rejected_401"] += 1
        scheme = "Bearer" if bearer else "OAuth"
        header = f'{scheme} realm="{self.account_id}", error="{problem}", error_description="{description}"'
        return ns_error(401, "INVALID_LOGIN", INVALID_LOGIN, {"WWW-Authenticate": header})

    def before_request(self, request: Request) -> Response | None:
        if request.path.lower().startswith("/services/rest/auth/"):
            return None
        header = request.headers.get("Authorization") or ""
        if header.lower().startswith("bearer "):
            token = self.bearer_tokens.get(header[7:].strip())
            if token is None or token["expires"] < time.time():
                return self._unauthorized("invalid_token", "Invalid login attempt.", bearer=True)
            request.ns_permissions = token["permissions"]
            return None
        params = tba.parse_authorization(header)
        if not params:
            return self._unauthorized("token_rejected", "Missing OAuth authorization header.")
        if params.get("realm") != self.account_id:
            return self._unauthorized("account_mismatch", f"Realm {params.get('realm')!r} is not this account.")
        if params.get("oauth_signature_method") != tba.SIGNATURE_METHOD:
            return self._unauthorized(
                "signature_method_rejected", "HMAC-SHA1 is no longer supported; sign with HMAC-SHA256."
            )
        consumer_secret = self.consumers.get(params.get("oauth_consumer_key", ""))
        if consumer_secret is None:
            return self._unauthorized("consumer_key_unknown", "Invalid login attempt.")
        token = self.tokens.get(params.get("oauth_token", ""))
        if token is None:
            return self._unauthorized("token_rejected", "Invalid login attempt.")
        if token["revoked"]:
            return self._unauthorized("token_revoked", "Invalid login attempt.")
        try:
            timestamp = int(params.get("oauth_timestamp", ""))
        except ValueError:
            return self._unauthorized("timestamp_refused", "Invalid timestamp.")
        if abs(time.time() - timestamp) > self.clock_tolerance:
            return self._unauthorized("timestamp_refused", "The timestamp is too far from the current time.")
        url = f"http://{request.host}{request.raw_path}"
        expected = tba.sign(tba.base_string(request.method, url, params), consumer_secret, token["secret"])
        if not secrets.compare_digest(expected, params.get("oauth_signature", "")):
            return self._unauthorized("signature_invalid", "Invalid login attempt.")
        nonce_key = f"{params['oauth_consumer_key']}:{params['oauth_token']}:{params.get('oauth_nonce', '')}"
        with self.lock:
            now = time.time()
            if len(self.nonces) > 50_000:
                self.nonces = {k: t for k, t in self.nonces.items() if now - t < 2 * self.clock_tolerance}
            if nonce_key in self.nonces:
                return self._unauthorized("nonce_used", "The nonce was already used.")
            self.nonces[nonce_key] = now
        request.ns_permissions = token["permissions"]
        return None

    def _forbidden(self, what: str) -> Response:
        return ns_error(
            403,
            "INSUFFICIENT_PERMISSION",
            f"Permission Violation: You need the '{what}' permission to access this page. Please contact your "
            "account administrator.",
        )

    # --- records -------------------------------------------------------------------------------------
    def _record_type(self, request: Request) -> str | None:
        return RECORD_TYPES.get(request.params["record_type"].lower())

    def _href(self, request: Request, path: str) -> str:
        return f"http://{request.host}/services/rest/record/v1/{path}"

    def list_records(self, request: Request) -> Response:
        permissions = getattr(request, "ns_permissions", ())
        record_type = self._record_type(request)
        if record_type is None:
            return ns_error(404, "NONEXISTENT_ID", f"Record type {request.params['record_type']} does not exist.")
        if record_type not in permissions:
            return self._forbidden(record_type)
        try:
            limit = int(request.query.get("limit", 1000))
            offset = int(request.query.get("offset", 0))
        except ValueError:
            return ns_error(400, "INVALID_PARAMETER", "limit and offset must be integers.")
        if not 1 <= limit <= 1000 or offset < 0:
            return ns_error(
                400,
                "INVALID_PARAMETER",
                "The limit must be between 1 and 1000 and the offset not negative.",
                errorQueryParam="limit",
            )
        q = request.query.get("q")
        try:
            matches = self._q_filter(q) if q else None
        except ValueError as exc:
            return ns_error(400, "INVALID_PARAMETER", f"Invalid query parameter q: {exc}", errorQueryParam="q")
        ids = [i for i in self.data.ids(record_type) if matches is None or matches(self.data.modified[record_type][i])]
        page = ids[offset : offset + limit]
        lower = record_type.lower()
        has_more = offset + limit < len(ids)
        base = self._href(request, lower)
        extra = f"&q={request.query['q']}" if q else ""
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}{extra}"}]
        if has_more:
            links.insert(0, {"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}{extra}"})
        if offset > 0:
            links.insert(0, {"rel": "prev", "href": f"{base}?limit={limit}&offset={max(0, offset - limit)}{extra}"})
        return Response.json(
            {
                "links": links,
                "count": len(page),
                "hasMore": has_more,
                "items": [{"links": [{"rel": "self", "href": f"{base}/{i}"}], "id": i} for i in page],
                "offset": offset,
                "totalResults": len(ids),
            }
        )

    def _q_filter(self, q: str):
        clauses = re.split(r"\s+AND\s+", q.strip(), flags=re.I)
        tests = []
        for clause in clauses:
            match = _Q_CLAUSE.match(clause)
            if not match:
                raise ValueError(f"unsupported filter {clause!r} (this sandbox filters lastModifiedDate only).")
            op, value = match.group(1).upper(), match.group(2)
            try:
                moment = parse_q_date(value)
            except ValueError:
                raise ValueError(f'{value!r} is not a date in the format "M/D/YYYY HH:mm".') from None
            has_time = ":" in value
            tests.append((op, moment, has_time))

        def matches(modified: datetime) -> bool:
            for op, moment, has_time in tests:
                value = (
                    modified.replace(second=0, microsecond=0)
                    if has_time
                    else modified.replace(hour=0, minute=0, second=0, microsecond=0)
                )
                ok = {
                    "ON_OR_AFTER": value >= moment,
                    "AFTER": value > moment,
                    "BEFORE": value < moment,
                    "ON_OR_BEFORE": value <= moment,
                    "ON": value == moment,
                }[op]
                if not ok:
                    return False
            return True

        return matches

    def get_record(self, request: Request) -> Response:
        record_type = self._record_type(request)
        record_id = request.params["record_id"]
        if record_type is None or not self.data.exists(record_type, record_id):
            return ns_error(
                404,
                "NONEXISTENT_ID",
                "The record instance does not exist. Provide a valid record instance ID.",
                errorUrl=request.path,
            )
        if record_type not in getattr(request, "ns_permissions", ()):
            return self._forbidden(record_type)
        if str(record_id) in self.unreadable:
            return ns_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred (an unreadable record).")
        self.stats["record_gets"] += 1
        record = dict(self.data.get(record_type, record_id))
        href = self._href(request, f"{record_type.lower()}/{record_id}")
        expand = request.query.get("expandSubResources", "false").lower() == "true"
        for sublist in SUBLISTS[record_type]:
            if sublist not in record:
                continue
            link = [{"rel": "self", "href": f"{href}/{sublist}"}]
            record[sublist] = {"links": link, **record[sublist]} if expand else {"links": link}
        return Response.json({"links": [{"rel": "self", "href": href}], **record})

    def get_sublist(self, request: Request) -> Response:
        record_type = self._record_type(request)
        record_id, sublist = request.params["record_id"], request.params["sublist"]
        if record_type is None or not self.data.exists(record_type, record_id):
            return ns_error(404, "NONEXISTENT_ID", "The record instance does not exist.", errorUrl=request.path)
        if record_type not in getattr(request, "ns_permissions", ()):
            return self._forbidden(record_type)
        record = self.data.get(record_type, record_id)
        if sublist not in SUBLISTS[record_type] or sublist not in record:
            return ns_error(
                404, "NONEXISTENT_ID", f"{sublist} is not a sublist of {record_type}.", errorUrl=request.path
            )
        href = self._href(request, f"{record_type.lower()}/{record_id}/{sublist}")
        return Response.json({"links": [{"rel": "self", "href": href}], **record[sublist]})

    # --- SuiteQL -------------------------------------------------------------------------------------
    def suiteql(self, request: Request) -> Response:
        if (request.headers.get("Prefer") or "").lower() != "transient":
            return ns_error(
                400, "INVALID_PARAMETER", "SuiteQL requests need the header 'Prefer: transient'.", errorHeader="Prefer"
            )
        if "suiteql" not in getattr(request, "ns_permissions", ()):
            return self._forbidden("SuiteAnalytics Workbook")
        try:
            body = request.json() or {}
            query = suiteql.parse(str(body.get("q") or ""))
            limit = int(request.query.get("limit", 1000))
            offset = int(request.query.get("offset", 0))
        except (ValueError, suiteql.SuiteQLError) as exc:
            return ns_error(400, "INVALID_PARAMETER", str(exc))
        if not 1 <= limit <= 1000 or offset < 0:
            return ns_error(400, "INVALID_PARAMETER", "The limit must be between 1 and 1000.", errorQueryParam="limit")
        if offset >= self.max_query_results:
            return ns_error(
                400,
                "INVALID_PARAMETER",
                f"A SuiteQL query returns at most {self.max_query_results} results; the offset {offset} is past them.",
                errorQueryParam="offset",
            )
        record_type = TABLES.get(query.table)
        if record_type is None:
            return ns_error(400, "INVALID_PARAMETER", f"Invalid search query: unknown table {query.table!r}.")
        self.stats["suiteql"] += 1
        try:
            rows = [
                LazyRow(self.data, query.table, record_type, m, i, self.zone) for m, i in self.data.ordered(record_type)
            ]
            if query.where:
                rows = [row for row in rows if query.where(row)]
            for column, descending in reversed(query.order):
                rows.sort(key=lambda row, c=column: row[c], reverse=descending)
            if query.fetch is not None:
                rows = rows[: query.fetch]
            rows = rows[: self.max_query_results]
            page = rows[offset : offset + limit]
            items = []
            for row in page:
                item = {"links": []}
                for name, getter in query.columns:
                    value = suiteql.render(getter(row))
                    if value is not None:
                        item[name] = value
                items.append(item)
        except suiteql.SuiteQLError as exc:
            return ns_error(400, "INVALID_PARAMETER", str(exc))
        has_more = offset + limit < len(rows)
        base = f"http://{request.host}/services/rest/query/v1/suiteql"
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
        if has_more:
            links.insert(0, {"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
        return Response.json(
            {
                "links": links,
                "count": len(items),
                "hasMore": has_more,
                "items": items,
                "offset": offset,
                "totalResults": len(rows),
            }
        )

    # --- OAuth 2.0 -----------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = dict(request.query)
        form.update(dict(parse_qsl(request.body.decode(errors="replace"))))
        if form.get("grant_type") != "client_credentials" or "client_assertion" not in form:
            return Response.json(
                {
                    "error": "invalid_request",
                    "error_description": "grant_type client_credentials with a client_assertion is required.",
                },
                400,
            )
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return Response.json(
                {"error": "invalid_request", "error_description": "The client assertion is not a JWT."}, 400
            )
        certificate = self.certificates.get(header.get("kid", ""))
        if certificate is None:
            return Response.json({"error": "invalid_client", "error_description": "Unknown certificate id (kid)."}, 401)
        if header.get("alg") not in ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512"):
            return Response.json({"error": "invalid_request", "error_description": "Unsupported JWT algorithm."}, 400)
        audience = f"http://{request.host}/services/rest/auth/oauth2/v1/token"
        try:
            claims = jwt.decode(
                assertion,
                certificate["public_key"],
                algorithms=[header["alg"]],
                audience=audience,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
                leeway=self.clock_tolerance,
            )
        except jwt.PyJWTError as exc:
            return Response.json(
                {"error": "invalid_grant", "error_description": f"Invalid client assertion: {exc}."}, 400
            )
        if claims["iss"] != certificate["client_id"] or claims["exp"] - claims["iat"] > 3600:
            return Response.json({"error": "invalid_grant", "error_description": "Issuer or lifetime rejected."}, 400)
        scope = claims["scope"] if isinstance(claims["scope"], list) else str(claims["scope"]).split(",")
        if "rest_webservices" not in scope:
            return Response.json({"error": "invalid_scope", "error_description": "rest_webservices scope needed."}, 400)
        access_token = secrets.token_urlsafe(32)
        self.bearer_tokens[access_token] = {"expires": time.time() + 3600, "permissions": set(ALL_PERMISSIONS)}
        return Response.json({"access_token": access_token, "expires_in": "3600", "token_type": "bearer"})

    # --- sandbox admin -------------------------------------------------------------------------------
    def admin_create(self, request: Request) -> Response:
        record_type = self._record_type(request)
        if record_type is None:
            return Response.json({"error": "unknown record type"}, 404)
        record = self.data.upsert(record_type, None, request.json() or {}, datetime.now(UTC))
        return Response.json(record, 201)

    def admin_change(self, request: Request) -> Response:
        record_type = self._record_type(request)
        record_id = request.params["record_id"]
        if record_type is None or not self.data.exists(record_type, record_id):
            return Response.json({"error": "no such record"}, 404)
        return Response.json(self.data.upsert(record_type, record_id, request.json() or {}, datetime.now(UTC)))

    def admin_token(self, request: Request) -> Response:
        data = request.json() or {}
        permissions = set(data.get("permissions", ALL_PERMISSIONS))
        with self.lock:
            self.tokens[data["token_id"]] = {
                "secret": data.get("token_secret", TOKEN_SECRET),
                "revoked": bool(data.get("revoked")),
                "permissions": permissions,
            }
        return Response.json({"ok": True})

    def admin_certificate(self, request: Request) -> Response:
        data = request.json() or {}
        with self.lock:
            self.certificates[data["certificate_id"]] = {
                "client_id": data["client_id"],
                "public_key": data["public_key"],
            }
        return Response.json({"ok": True})
