"""One delivery attempt: sign, POST through the hardened client, classify the answer.

This module does no database work, so many attempts run concurrently (`attempt_async` on the
consumer's event loop); the outcomes are recorded in batches by `webhooks.outcomes`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ekyam import http, http_async
from ekyam.events import jsoncodec
from webhooks import conf
from webhooks.secrets import signing_secrets
from webhooks.signing import webhook_headers

# Headers an endpoint's custom headers may not override: they carry the signature.
RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host"}
)


@dataclass
class Job:
    """Everything one attempt needs, loaded once (no queries during the HTTP call)."""

    delivery_id: int
    organization_id: int
    endpoint_id: int
    url: str
    secrets_token: str
    custom_headers: dict
    webhook_id: str
    body: bytes
    number: int  # the attempt number this job makes (1-based)
    schedule_index: int  # position in the retry schedule (restarts on replay)
    claim_token: str
    trigger: str = "scheduled"
    event_type: str = ""
    rate_limit: int | None = None
    timeout: float | None = None  # the endpoint's own attempt timeout (None: the global one)
    concurrency: int | None = None  # the endpoint's own bound on attempts in flight
    retry_schedule: list | None = None  # the endpoint's own retry schedule (None: the global one)
    traceparent: str = ""  # the message's trace context (ekyam/events/tracing.py); "" untraced


@dataclass
class Result:
    ok: bool
    status_code: int | None = None
    body: str = ""
    duration_ms: int = 0
    error: str = ""
    retry_after: float | None = None
    slow_down: bool = False  # 429 or a timeout: the floor applies
    gone: bool = False  # 410: disable the endpoint
    finished_at: float = field(default_factory=time.time)


def addressing(endpoint, message) -> dict:
    """The Job fields that come from the endpoint (its address, secrets and own delivery settings) and the
    message, whichever attempt the job makes."""
    return {
        "endpoint_id": endpoint.pk,
        "url": endpoint.url,
        "secrets_token": endpoint.secrets_encrypted,
        "custom_headers": endpoint.headers,
        "webhook_id": message.webhook_id,
        "event_type": message.event_type,
        "traceparent": message.trace_context,
        "rate_limit": endpoint.rate_limit_per_second,
        "timeout": float(endpoint.timeout_seconds) if endpoint.timeout_seconds else None,
        "concurrency": endpoint.max_concurrency or None,
        "retry_schedule": list(endpoint.retry_schedule) if endpoint.retry_schedule else None,
    }


def encode_body(body: dict) -> bytes:
    return jsoncodec.dumps(body)


USER_AGENT = "Ekyam-Webhooks/1.0 (+https://ekyam.dev)"


def make_async_client(pool_size: int) -> http_async.AsyncHttpClient:
    # Our own schedule retries: one request per attempt. Create and use it on the loop that runs the attempts.
    return http_async.AsyncHttpClient(max_retries=0, pool_size=pool_size, user_agent=USER_AGENT)


class RefusedUrl(ValueError):
    pass


def check_endpoint_url(url: str) -> None:
    """The save-time and delivery-time URL policy: https in production, no private addresses."""
    parts = urlsplit(url)
    if conf.get("WEBHOOK_REQUIRE_HTTPS") and parts.scheme != "https":
        raise RefusedUrl("Endpoint URLs must use https.")
    try:
        http.check_destination(url)
    except http.UnsafeDestination as exc:
        raise RefusedUrl(str(exc)) from None
    except http.RequestException as exc:
        raise RefusedUrl(str(exc)) from None


def _signed_headers(job: Job, require_https: bool | None = None, traceparent: str = "") -> dict[str, str]:
    if require_https is None:
        require_https = conf.get("WEBHOOK_REQUIRE_HTTPS")
    if require_https and not job.url.startswith("https://"):
        raise RefusedUrl("Endpoint URLs must use https.")
    timestamp = int(time.time())
    headers = {k: str(v) for k, v in (job.custom_headers or {}).items() if k.lower() not in RESERVED_HEADERS}
    if traceparent:  # the attempt's W3C trace context: the receiver's spans can join the trace
        headers = {k: v for k, v in headers.items() if k.lower() != "traceparent"}
        headers["traceparent"] = traceparent
    headers.update(webhook_headers(signing_secrets(job.secrets_token), job.webhook_id, timestamp, job.body))
    return headers


def _post_options(job: Job, timeout: float, require_https: bool | None = None, traceparent: str = "") -> dict:
    """What an attempt sends: the signed body, one request per attempt (our schedule retries),
    no redirects, and a connect timeout of at most 5 s. Raises RefusedUrl like `_signed_headers`."""
    return {
        "data": job.body,
        "headers": _signed_headers(job, require_https, traceparent),
        "retry": False,
        "allow_redirects": False,
        "timeout": (min(5.0, timeout), timeout),
    }


def _failed(exc: Exception, timeout: float, elapsed_ms: int) -> Result:
    if isinstance(exc, RefusedUrl | http.UnsafeDestination):
        return Result(False, error=f"Refused destination: {exc}"[:500], duration_ms=elapsed_ms)
    if isinstance(exc, http.Timeout):
        return Result(False, error=f"Timed out after {timeout:.0f} s.", duration_ms=elapsed_ms, slow_down=True)
    return Result(False, error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=elapsed_ms)


def _answered(status: int, body: str, response, elapsed_ms: int) -> Result:
    """`response` has the headers (read only for failures: parsing them for every success showed in profiles)."""
    result = Result(200 <= status < 300, status_code=status, body=body, duration_ms=elapsed_ms)
    if not result.ok:
        headers = response.headers
        if 300 <= status < 400:
            result.error = f"HTTP {status}: redirects are not followed; point the endpoint at the final URL."
        else:
            result.error = f"HTTP {status}"
        result.retry_after = http.parse_retry_after(headers.get("Retry-After"))
        result.slow_down = status == 429
        result.gone = status == 410
    return result


async def attempt_async(
    job: Job,
    client: http_async.AsyncHttpClient,
    limit: int,
    timeout: float,
    require_https: bool | None = None,
    traceparent: str = "",
) -> Result:
    """One attempt on the asyncio client; `limit`, `timeout` and `require_https` are read once by the
    caller (settings lookups are not free at thousands of attempts a second); `traceparent` is sent
    as the W3C header when given."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        response = await client.post(job.url, max_body=limit, **_post_options(job, timeout, require_https, traceparent))
    except (RefusedUrl, http.RequestException) as exc:
        return _failed(exc, timeout, elapsed())
    body = response.content[:limit].decode("utf-8", errors="replace")
    return _answered(response.status_code, body, response, elapsed())
