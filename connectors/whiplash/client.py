"""The Whiplash API v2 client: bearer auth with transparent refresh, a client-side request rate,
backoff on 429, vendor errors translated into the connector error types, and page/per_page paging."""

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
from ekyam.http import HttpClient, backoff_delay, parse_retry_after

DEFAULT_BASE_URL = "https://www.getwhiplash.com"
DEFAULT_RATE = 10.0
MAX_THROTTLE_RETRIES = 6


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
        """Call the API; returns the decoded JSON body or raises a ConnectorError."""
        url = f"{self.base_url}{path}"
        refreshed = False
        throttles = 0
        while True:
            token = self.tokens.token()
            self.rate.acquire()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Accept-Version": "v2"}
            if self.credentials.get("customer_id"):
                headers["X-CUSTOMER-ID"] = str(self.credentials["customer_id"])
            try:
                with transport_errors("Whiplash", f"{method} {path}", self.base_url), self._slot():
                    response = self.http.request(
                        method, url, params=params, json=json_body, headers=headers, retry=retry, timeout=timeout
                    )
            finally:
                self.requests_made += 1
            status = response.status_code
            if status == 401 and not refreshed:
                self.tokens.invalidate(token)  # expired or revoked early: get a new one and try once more
                refreshed = True
                continue
            if status == 429 and throttles < MAX_THROTTLE_RETRIES:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                wait = wait if wait is not None else backoff_delay(throttles, 0.5, 8.0) + 0.1
                self.throttled += 1
                throttles += 1
                self.rate.pause(wait)
                self.sleep(wait)
                continue
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            if status < 400:
                return body
            raise self._error(status, body, method, path, response.headers.get("Retry-After"))

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
