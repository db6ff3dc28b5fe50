"""NetSuite's error envelope (`o:errorDetails`) → Ekyam's typed connector errors.

NetSuite answers every failure with `{"type", "title", "status", "o:errorDetails": [{"detail",
"o:errorCode", …}]}`; 401s also carry `WWW-Authenticate: OAuth realm=…, error="…"`. The OAuth
problem code in that header (RFC 5849 problem reporting: `token_rejected`, `token_revoked`,
`consumer_key_unknown`, `timestamp_refused`, `nonce_used`, `signature_invalid`,
`signature_method_rejected`) is kept in `details["problem"]` so `check` can name the cause.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from connectors.base import AuthError, ConnectorError, PermanentError, RateLimitError, TransientError, ValidationError

CLOCK_SKEW_TOLERANCE = 300  # seconds; beyond this a 401 is reported as clock skew
_HEADER_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_error_body(response) -> tuple[str | None, str, dict]:
    """(vendor code, human message, the first error detail) from an nsError body, tolerating non-JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = (response.text or "").strip()[:300]
        return None, text or f"HTTP {response.status_code}", {}
    details = body.get("o:errorDetails") or []
    first = details[0] if details and isinstance(details[0], dict) else {}
    code = first.get("o:errorCode") or body.get("o:errorCode")
    message = first.get("detail") or body.get("title") or f"HTTP {response.status_code}"
    return code, message, first


def auth_problem(response) -> dict[str, str]:
    header = response.headers.get("WWW-Authenticate", "")
    return dict(_HEADER_PARAM.findall(header))


def clock_skew_seconds(response, now: float) -> float | None:
    """How far our clock is from NetSuite's, from the response `Date` header (None when absent)."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        return now - parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def error_from_response(response, *, now: float, credentials_verified: bool = False) -> ConnectorError:
    status = response.status_code
    code, message, detail = parse_error_body(response)
    extra = {k: v for k, v in detail.items() if k.startswith("o:error") and k != "o:errorCode"}
    kw = {"status": status, "vendor_code": code, "details": extra}
    if status == 429 or code == "CONCURRENCY_LIMIT_EXCEEDED":
        # No Retry-After is sent: the client backs off on its own (exponential, with jitter).
        return RateLimitError(f"NetSuite concurrency limit exceeded: {message}", **kw)
    if status == 401:
        problem = auth_problem(response)
        kw["details"] = {**extra, "problem": problem.get("error", ""), "realm": problem.get("realm", "")}
        skew = clock_skew_seconds(response, now)
        if skew is not None and abs(skew) > CLOCK_SKEW_TOLERANCE:
            kw["details"].update(problem="timestamp_refused", clock_skew_seconds=round(skew))
        if credentials_verified and kw["details"]["problem"] in ("", "token_rejected"):
            # NetSuite has been seen to answer a generic 401 INVALID_LOGIN instead of 429 when the
            # account is overloaded. Once these credentials have authenticated, a generic 401 is
            # therefore retried like a governance limit (bounded); a specific problem never is.
            return TransientError(f"NetSuite rejected the login (possibly under load): {message}", code="auth", **kw)
        description = problem.get("error_description")
        text = f"NetSuite rejected the login: {message}"
        if description and description not in message:
            text += f" ({description})"
        return AuthError(text, **kw)
    if status == 403:
        return PermanentError(f"NetSuite refused access: {message}", code="permission", **kw)
    if status == 404:
        return PermanentError(f"Not found in NetSuite: {message}", code="not_found", **kw)
    if status in (408, 500, 502, 503, 504) or status >= 500:
        return TransientError(f"NetSuite is unavailable (HTTP {status}): {message}", code="unavailable", **kw)
    return ValidationError(f"NetSuite refused the request: {message}", **kw)
