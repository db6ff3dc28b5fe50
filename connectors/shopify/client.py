"""The Shopify Admin GraphQL client with cost-based throttling.

Every response's `extensions.cost.throttleStatus` (maximumAvailable, currentlyAvailable, restoreRate)
updates a bucket model shared by the connector instances of one shop in this process. Before a call
we project what is available now and, if the call's expected cost (the last requested cost seen for
that operation) does not fit, sleep until it does. A `THROTTLED` answer waits
(requestedQueryCost − currentlyAvailable) / restoreRate and is retried under the hardened client's one
retry policy (at most 5 attempts per call by default). No plan limit is hard-coded:
until the first response we know nothing and simply send.
"""

from __future__ import annotations

import contextlib
import threading
import time

from connectors.base import AuthError, PermanentError, RateLimitError, TransientError
from connectors.http_errors import transport_errors
from ekyam.http import HttpClient

DEFAULT_API_VERSION = "2024-10"


class CostModel:
    """What we last learned about the shop's leaky bucket."""

    _shared: dict[str, CostModel] = {}
    _shared_lock = threading.Lock()

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.maximum: float | None = None
        self.available: float | None = None
        self.restore_rate: float | None = None
        self.updated = clock()
        self.costs: dict[str, float] = {}

    @classmethod
    def shared(cls, key: str) -> CostModel:
        with cls._shared_lock:
            return cls._shared.setdefault(key, cls())

    def learn(self, operation: str, cost: dict | None) -> None:
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        with self.lock:
            if cost.get("requestedQueryCost") is not None:
                self.costs[operation] = float(cost["requestedQueryCost"])
            if status.get("currentlyAvailable") is not None:
                self.maximum = float(status.get("maximumAvailable") or 0) or self.maximum
                self.available = float(status["currentlyAvailable"])
                self.restore_rate = float(status.get("restoreRate") or 0) or self.restore_rate
                self.updated = self.clock()

    def wait_before(self, operation: str) -> float:
        """Seconds to wait so that `operation`'s expected cost fits, reserving it from the bucket."""
        with self.lock:
            expected = self.costs.get(operation)
            if expected is None or self.available is None or not self.restore_rate:
                return 0.0
            now = self.clock()
            projected = min(self.maximum or float("inf"), self.available + (now - self.updated) * self.restore_rate)
            wait = max(0.0, (expected - projected) / self.restore_rate)
            self.available = projected - expected  # reserve, so parallel callers queue behind us
            self.updated = now
            return wait


class ShopifyClient:
    def __init__(
        self, credentials: dict, *, http: HttpClient | None = None, concurrency_limiter=None, sleep=time.sleep
    ):
        domain = (credentials.get("shop_domain") or "").strip().rstrip("/")
        if not domain:
            raise AuthError("The Shopify shop domain is missing (e.g. my-store.myshopify.com).", code="config")
        self.base_url = domain if "://" in domain else f"https://{domain}"
        self.api_version = (credentials.get("api_version") or DEFAULT_API_VERSION).strip()
        self.endpoint = f"{self.base_url}/admin/api/{self.api_version}/graphql.json"
        self.token = credentials.get("access_token") or ""
        self.http = http or HttpClient()
        self.concurrency_limiter = concurrency_limiter
        self.sleep = sleep
        self.costs = CostModel.shared(f"{self.base_url}:{self.api_version}")
        self.requests_made = 0
        self.throttled = 0
        self.waited = 0.0

    def _slot(self):
        return self.concurrency_limiter() if self.concurrency_limiter else contextlib.nullcontext()

    def execute(self, operation: str, query: str, variables: dict | None = None) -> dict:
        """Run one operation; returns `data` or raises a ConnectorError.

        Retries are the hardened client's one policy (at most 1 + EKYAM_HTTP_MAX_RETRIES attempts, 4 by
        default): before each attempt the call waits until its expected cost fits the bucket, and a
        `THROTTLED` answer is retried after (requestedQueryCost − currentlyAvailable) / restoreRate."""
        headers = {
            "X-Shopify-Access-Token": self.token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

        def prepare(attempt: int) -> dict:
            wait = self.costs.wait_before(operation)
            if wait:
                self.waited += wait
                self.sleep(wait)
            self.requests_made += 1
            return {}

        def judge(response) -> bool | float:
            if response.status_code in self.http.retry_statuses:
                return True
            body = _body(response)
            cost = (body.get("extensions") or {}).get("cost")
            self.costs.learn(operation, cost)
            if not (body.get("errors") and _code(body["errors"]) == "THROTTLED"):
                return False
            self.throttled += 1
            status = (cost or {}).get("throttleStatus") or {}
            requested = float((cost or {}).get("requestedQueryCost") or 0)
            rate = float(status.get("restoreRate") or 0) or 1.0
            wait = max(0.05, (requested - float(status.get("currentlyAvailable") or 0)) / rate)
            self.waited += wait
            return wait

        with transport_errors("Shopify", operation, self.base_url):
            # Queries are reads and the one mutation is compare-and-set: safe to retry on 5xx/429.
            response = self.http.post(
                self.endpoint,
                json={"query": query, "variables": variables or {}, "operationName": operation},
                headers=headers,
                retry=True,
                prepare=prepare,
                slot=self._slot,
                retry_if=judge,
            )
        body = self._check(response, operation)
        errors = body.get("errors")
        if errors and _code(errors) == "THROTTLED":
            raise RateLimitError(f"Shopify kept throttling {operation} after {self.http.max_retries + 1} attempts.")
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            if _code(errors) == "ACCESS_DENIED":
                raise AuthError(
                    f"Shopify denied {operation}: {messages}", code="forbidden", vendor_code="ACCESS_DENIED"
                )
            raise PermanentError(f"Shopify rejected {operation}: {messages}", vendor_code=_code(errors))
        return body.get("data") or {}

    def _check(self, response, operation: str) -> dict:
        """The final answer's body, or the connector error its status means."""
        status = response.status_code
        body = _body(response)
        if status == 401:
            raise AuthError(
                "Shopify rejected the access token (401): it is wrong or the app was uninstalled.", status=401
            )
        if status == 403:
            raise AuthError(
                "Shopify refused the request (403): the app lacks permission.", status=403, code="forbidden"
            )
        if status == 404:
            raise PermanentError(
                f"Shopify has no Admin API at {self.endpoint} (404): check the shop domain and API version.",
                status=404,
                code="not_found",
            )
        if status in (402, 423):
            raise PermanentError(f"The Shopify shop is unavailable ({status}: frozen or locked).", status=status)
        if status == 429:
            raise RateLimitError("Shopify kept answering 429.", status=429)
        if status >= 500:
            raise TransientError(f"Shopify failed on {operation} ({status}).", status=status, code="server_error")
        if status >= 400 or not isinstance(body, dict):
            raise PermanentError(f"Shopify answered {status} on {operation}: {body}", status=status)
        return body


def _body(response) -> dict:
    """The decoded JSON body (decoded once per response; {} when it is not a JSON object)."""
    cached = getattr(response, "_ekyam_body", None)
    if cached is None:
        try:
            cached = response.json()
        except ValueError:
            cached = {}
        if not isinstance(cached, dict):
            cached = {}
        response._ekyam_body = cached
    return cached


def _code(errors) -> str | None:
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            code = (error.get("extensions") or {}).get("code")
            if code:
                return code
    return None
