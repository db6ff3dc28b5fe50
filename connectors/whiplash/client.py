"""The Whiplash API v2 client: bearer auth with transparent refresh, a client-side request rate, the
hardened client's retry policy (429 pauses the shared rate), vendor errors translated into the connector
error types, and page/per_page paging."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

from connectors.base import (
    AuthError,
    ConflictError,
    ConnectorError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from connectors.http_errors import transport_errors
from connectors.whiplash.auth import TokenManager
from connectors.whiplash.ratelimit import RateLimiter
from ekyam.http import HttpClient, parse_retry_after

DEFAULT_BASE_URL = "https://www.getwhiplash.com"
DEFAULT_RATE = 10.0


def _throttled(response) -> bool:
    return response.status_code == 429


class WhiplashClient:
    def __init__(
        self,
        credentials: dict,
        *,
        http: HttpClient | None = None,
        on_credentials_changed=None,
        concurrency_limiter=None,
        sleep=time.sleep,
    ):
        self.base_url = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.http = http or HttpClient()
        self.credentials = credentials
        self.tokens = TokenManager(
            credentials, http=self.http, base_url=self.base_url, on_change=on_credentials_changed
        )
        try:
            rate = float(credentials.get("requests_per_second") or DEFAULT_RATE)
        except ValueError:
            raise ValidationError("requests_per_second must be a number (requests per second, e.g. 10).") from None
        self.rate = RateLimiter.shared(f"whiplash:{self.base_url}:{credentials.get('client_id', '')}", rate)
        self.concurrency_limiter = concurrency_limiter
        self.sleep = sleep
        self.requests_made = 0
        self.throttled = 0

    def _slot(self):
        return self.concurrency_limiter() if self.concurrency_limiter else contextlib.nullcontext()

    def request(self, method: str, path: str, *, params=None, json_body=None, retry=None, timeout=None):
        """Call the API; returns the decoded JSON body or raises a ConnectorError.

        Retries are the hardened client's one policy (at most 1 + EKYAM_HTTP_MAX_RETRIES attempts, 4 by
        default); each attempt takes a slot of the client-side rate and carries the current token, and a
        429 pauses the rate shared with the other callers of this account. A 429 is retried even on a
        create (Whiplash did not process it); a timeout on a create is not (the writer looks the key up).
        A 401 gets one more call with a fresh token. Worst case per call: 2 × 5 = 10 attempts."""
        url = f"{self.base_url}{path}"
        for refreshed in (False, True):
            token = self.tokens.token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Accept-Version": "v2"}
            if self.credentials.get("customer_id"):
                headers["X-CUSTOMER-ID"] = str(self.credentials["customer_id"])

            def prepare(attempt: int) -> dict:
                self.rate.acquire()
                self.requests_made += 1
                return {}

            with transport_errors("Whiplash", f"{method} {path}", self.base_url):
                response = self.http.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=headers,
                    retry=retry,
                    timeout=timeout,
                    prepare=prepare,
                    slot=self._slot,
                    retry_if=None if retry is not False else _throttled,
                    before_retry=self._throttle,
                )
            if response.status_code == 401 and not refreshed:
                self.tokens.invalidate(token)  # expired or revoked early: get a new one and try once more
                continue
            break
        status = response.status_code
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if status < 400:
            return body
        raise self._error(status, body, method, path, response.headers.get("Retry-After"))

    def _throttle(self, response, wait: float) -> None:
        if response is not None and response.status_code == 429:
            self.throttled += 1
            self.rate.pause(wait)  # the other callers of this account wait too

    @staticmethod
    def _error(status: int, body, method: str, path: str, retry_after) -> ConnectorError:
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("message") or body.get("error_description") or body.get("error") or "")
        where = f"{method} {path.split('?')[0]}"
        vendor_code = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
        if status == 401:
            return AuthError(f"Whiplash rejected the access token on {where}: {detail}", status=401)
        if status == 403:
            return AuthError(
                f"Whiplash denied {where} (403): the token's scope does not allow it. {detail}".strip(),
                status=403,
                code="forbidden",
            )
        if status == 404:
            return PermanentError(f"Whiplash has no such resource ({where}): {detail}", status=404, code="not_found")
        if status == 409:
            return ConflictError(f"Whiplash reported a conflict on {where}: {detail}", status=409)
        if status in (400, 405, 422):
            return ValidationError(detail or f"Whiplash rejected {where} ({status}).", status=status)
        if status == 429:
            return RateLimitError(
                f"Whiplash kept answering 429 (rate limit) on {where}.",
                status=429,
                retry_after=parse_retry_after(retry_after),
            )
        if status >= 500:
            return TransientError(
                f"Whiplash failed on {where} ({status}): {detail}", status=status, code="server_error"
            )
        return PermanentError(
            f"Whiplash answered {status} on {where}: {detail}", status=status, vendor_code=vendor_code
        )

    def pages(
        self, path: str, *, search: dict | None = None, sort: str | None = None, per_page: int = 50, start_page: int = 1
    ) -> Iterator[tuple[int, list[dict]]]:
        """Yield (page number, records) with page/per_page until a short page (the gem's loop)."""
        page = start_page
        while True:
            params = {"page": page, "per_page": per_page}
            if search:
                params["search"] = json.dumps(search)
            if sort:
                params["sort"] = sort
            records = self.request("GET", path, params=params) or []
            if not isinstance(records, list):
                raise PermanentError(f"Whiplash answered {path} with a {type(records).__name__}, not a list.")
            yield page, records
            if len(records) < per_page:
                return
            page += 1
