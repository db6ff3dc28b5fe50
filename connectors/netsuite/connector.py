"""The NetSuite connector: read-only (inventory items → products, item fulfillments → shipments)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import (
    AuthError,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    Page,
    StreamSpec,
    TransientError,
    ceil_to_second,
    parse_since,
)
from connectors.netsuite.client import NetSuiteClient, host_for_account
from connectors.netsuite.reader import (
    DEFAULT_OVERLAP,
    LIST_LIMIT,
    MAX_QUERY_RESULTS,
    RECORD_PATH,
    SQL_TIME,
    Cursor,
    RecordReader,
)
from connectors.netsuite.streams import RECORD_STREAMS, STREAM_SPECS
from connectors.registry import register

TBA_FIELDS = ("consumer_key", "consumer_secret", "token_id", "token_secret")
OAUTH2_FIELDS = ("client_id", "certificate_id", "private_key")

# OAuth problem code (WWW-Authenticate) → (check reason, actionable message)
AUTH_REASONS = {
    "consumer_key_unknown": (
        "invalid_consumer_key",
        "NetSuite does not know this consumer key. Copy the Consumer Key of the integration record "
        "(Setup > Integration > Manage Integrations) again.",
    ),
    "token_revoked": (
        "revoked_token",
        "The access token was revoked. Create a new token (Setup > Users/Roles > Access Tokens) and enter it.",
    ),
    "timestamp_refused": (
        "clock_skew",
        "NetSuite refused the request timestamp: this server's clock differs from NetSuite's. Synchronise "
        "the clock (NTP) and check again.",
    ),
    "account_mismatch": (
        "wrong_account",
        "The account id does not match the NetSuite account behind this address. Use the id from Setup > "
        "Company > Company Information (sandboxes look like 123456_SB1).",
    ),
    "signature_invalid": (
        "invalid_credentials",
        "The request signature did not verify: the consumer secret or the token secret is wrong.",
    ),
    "signature_method_rejected": (
        "invalid_credentials",
        "NetSuite rejected the signature method; it accepts HMAC-SHA256 only.",
    ),
}


@register
class NetSuiteConnector(Connector):
    slug = "netsuite"
    name = "NetSuite"
    description = (
        "Oracle NetSuite ERP through SuiteTalk REST web services. Reads inventory items and item fulfillments."
    )
    logo = "connectors/logos/netsuite.svg"
    default_concurrency = 5
    sandbox_class = "connectors.netsuite.sandbox.app.NetSuiteSandbox"
    credential_fields = (
        CredentialField(
            "account_id",
            "Account ID",
            "Setup > Company > Company Information > Account ID, e.g. 1234567 or 1234567_SB1 for a sandbox.",
            placeholder="1234567_SB1",
        ),
        CredentialField(
            "auth_method",
            "Authentication",
            "Token-based authentication (an integration record plus an access token) or OAuth 2.0 "
            "machine-to-machine (client credentials with a certificate).",
            default="tba",
            choices=(("tba", "Token-based authentication (TBA)"), ("oauth2", "OAuth 2.0 client credentials")),
        ),
        CredentialField(
            "base_url",
            "REST base URL (optional)",
            "Leave empty to use https://<account>.suitetalk.api.netsuite.com; set it from Company URLs when "
            "NetSuite shows a different one.",
            required=False,
            placeholder="https://1234567-sb1.suitetalk.api.netsuite.com",
            address=True,
        ),
        CredentialField(
            "timezone",
            "SuiteQL time zone (optional)",
            "The Time Zone of the integration user's preferences (Home > Set Preferences), e.g. "
            "America/Los_Angeles: SuiteQL gives and compares dates in it. Leave empty when it is UTC.",
            required=False,
            placeholder="America/Los_Angeles",
        ),
        CredentialField(
            "consumer_key", "Consumer key", "From the integration record (shown once when it is saved).", required=False
        ),
        CredentialField(
            "consumer_secret", "Consumer secret", "From the integration record.", secret=True, required=False
        ),
        CredentialField("token_id", "Token ID", "From Setup > Users/Roles > Access Tokens > New.", required=False),
        CredentialField(
            "token_secret", "Token secret", "Shown once when the token is created.", secret=True, required=False
        ),
        CredentialField("client_id", "Client ID (OAuth 2.0)", "The integration record's client id.", required=False),
        CredentialField(
            "certificate_id",
            "Certificate ID (OAuth 2.0)",
            "From Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup.",
            required=False,
        ),
        CredentialField(
            "private_key",
            "Private key (OAuth 2.0)",
            "PEM private key of the certificate uploaded to NetSuite (signs PS256 assertions).",
            secret=True,
            required=False,
        ),
    )
    streams: tuple[StreamSpec, ...] = STREAM_SPECS

    # Tunables (tests and the benchmark shrink them).
    overlap: timedelta = DEFAULT_OVERLAP
    max_query_results: int = MAX_QUERY_RESULTS
    list_limit: int = LIST_LIMIT
    default_page_size = 100
    check_attempts = 2

    @classmethod
    def validate_credentials(cls, credentials: dict[str, str]) -> dict[str, str]:
        errors = super().validate_credentials(credentials)
        method = credentials.get("auth_method") or "tba"
        if method not in ("tba", "oauth2"):
            errors["auth_method"] = "Choose tba or oauth2."
            return errors
        for name in TBA_FIELDS if method == "tba" else OAUTH2_FIELDS:
            if not (credentials.get(name) or "").strip():
                errors[name] = "This field is required for the chosen authentication."
        zone = (credentials.get("timezone") or "").strip()
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                errors["timezone"] = f"Unknown time zone {zone!r}: use an IANA name such as America/Los_Angeles."
        return errors

    @property
    def zone(self) -> tzinfo:
        """The time zone SuiteQL dates are in for this account (UTC unless configured)."""
        name = (self.credentials.get("timezone") or "").strip()
        return ZoneInfo(name) if name else UTC

    # --- the client --------------------------------------------------------------------------
    @cached_property
    def client(self) -> NetSuiteClient:
        return NetSuiteClient(
            self.credentials,
            http=self._http,
            limiter=self.concurrency_limiter,
            credentials_verified=self.credentials_verified,
            on_credentials_changed=self.on_credentials_changed,
        )

    @property
    def concurrency(self) -> int:
        return getattr(self.concurrency_limiter, "limit", None) or self.default_concurrency

    # --- check ---------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Three cheap calls: list one item, one fulfillment (the two record permissions we need) and a
        one-row SuiteQL query (the listing path of the readers)."""
        if not self.credentials.get("account_id"):
            return CheckResult.failure("wrong_account", "Enter the NetSuite account id.")
        probes = [
            ("Inventory items (Lists > Items)", lambda: self.client.get(f"{RECORD_PATH}/inventoryItem", {"limit": 1})),
            (
                "Item fulfillments (Transactions > Item Fulfillment)",
                lambda: self.client.get(f"{RECORD_PATH}/itemFulfillment", {"limit": 1}),
            ),
            (
                "SuiteQL (REST Query Service / SuiteAnalytics Workbook)",
                lambda: self.client.suiteql("SELECT id FROM item FETCH FIRST 1 ROWS ONLY", limit=1, offset=0),
            ),
        ]
        # A check answers a person waiting in the wizard (or Beat): retry a transient failure once, not
        # for the minutes a sync would keep trying.
        http, retries = self.client.http, self.client.http.max_retries
        http.max_retries = min(retries, self.check_attempts - 1)
        try:
            for permission, probe in probes:
                try:
                    probe()
                except ConnectorError as exc:
                    return self._check_failure(exc, permission)
        finally:
            http.max_retries = retries
        return CheckResult.success(
            f"Authenticated to NetSuite account {self.client.realm}.", base_url=self.client.base_url
        )

    def _check_failure(self, exc: ConnectorError, permission: str) -> CheckResult:
        details = {"vendor_code": exc.vendor_code, "status": exc.status}
        if exc.code == "unreachable":
            if exc.details.get("dns") and not self.client.base_url_overridden:
                return CheckResult.failure(
                    "wrong_account",
                    f"No NetSuite account answers at {host_for_account(self.client.account_id)}: check the account "
                    "id (sandboxes look like 123456_SB1).",
                    **details,
                )
            return CheckResult.failure("unreachable", f"{exc.message} Check the base URL and the network.", **details)
        if isinstance(exc, AuthError) or exc.code == "auth":
            problem = exc.details.get("problem", "")
            reason, message = AUTH_REASONS.get(
                problem,
                (
                    "invalid_credentials",
                    "NetSuite rejected the login (INVALID_LOGIN). Check the consumer key/secret and token "
                    "id/secret, and see Setup > Users/Roles > User Management > View Login Audit Trail.",
                ),
            )
            if "clock_skew_seconds" in exc.details:
                message += f" (off by about {exc.details['clock_skew_seconds']} s)"
            return CheckResult.failure(reason, message, problem=problem, **details)
        if exc.code == "permission":
            return CheckResult.failure(
                "missing_permission",
                f"The token's role lacks a permission Ekyam needs: {permission}. NetSuite says: {exc.message}",
                **details,
            )
        if isinstance(exc, TransientError):
            return CheckResult.failure("vendor_unavailable", exc.message, **details)
        if exc.code == "unexpected_status":
            return CheckResult.failure("unexpected_response", f"{permission}: {exc.message}", **details)
        return CheckResult.failure("error", exc.message, **details)

    # --- reading -------------------------------------------------------------------------------
    def read(
        self, stream: str, *, cursor: str | None = None, page_size: int | None = None, ids: list[str] | None = None
    ) -> Iterator[Page]:
        self.stream(stream, "read")
        reader = RecordReader(
            self.client,
            RECORD_STREAMS[stream],
            concurrency=self.concurrency,
            overlap=self.overlap,
            max_query_results=self.max_query_results,
            list_limit=self.list_limit,
            zone=self.zone,
        )
        return reader.read(cursor, page_size or self.default_page_size, ids)

    def cursor_from_date(self, stream: str, since: datetime | str) -> str | None:
        """A cursor whose high-water mark is `since` and whose floor is `since` too: the reader lists from
        `max(mark − overlap, floor)` = `since`, so the overlap window does not reach back before it.
        SuiteQL compares to the second, so a `since` inside a second starts at the next whole one."""
        if not self.stream(stream, "read").incremental:
            return None
        mark = ceil_to_second(parse_since(since)).astimezone(self.zone).replace(tzinfo=None).strftime(SQL_TIME)
        return Cursor(modified=mark, id=0, floor=mark).encode()

    # --- sandbox -------------------------------------------------------------------------------
    @classmethod
    def sandbox_credentials(cls, sandbox_url: str) -> dict[str, str]:
        from connectors.netsuite.sandbox import app

        return {
            "account_id": app.ACCOUNT_ID,
            "auth_method": "tba",
            "base_url": sandbox_url,
            "consumer_key": app.CONSUMER_KEY,
            "consumer_secret": app.CONSUMER_SECRET,
            "token_id": app.TOKEN_ID,
            "token_secret": app.TOKEN_SECRET,
        }
