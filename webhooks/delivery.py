"""One delivery attempt: sign, POST through the hardened client, classify the answer.

This module does no database work, so many attempts can run in parallel threads; the outcomes are
recorded in batches by `webhooks.outcomes`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ekyam import http
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
    published_at: float | None = None


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


def encode_body(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def make_client(pool_size: int) -> http.HttpClient:
    # Our own schedule retries; the client makes exactly one request per attempt.
    return http.HttpClient(max_retries=0, pool_size=pool_size, user_agent="Ekyam-Webhooks/1.0 (+https://ekyam.dev)")


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


def _read_limited(response, limit: int) -> str:
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=max(1, min(limit, 4096)) if limit else 4096):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit].decode("utf-8", errors="replace")


def attempt(job: Job, client: http.HttpClient) -> Result:
    started = time.monotonic()
    limit = conf.get("WEBHOOK_RESPONSE_BODY_LIMIT")
    timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        if conf.get("WEBHOOK_REQUIRE_HTTPS") and not job.url.startswith("https://"):
            raise RefusedUrl("Endpoint URLs must use https.")
        timestamp = int(time.time())
        headers = {k: str(v) for k, v in (job.custom_headers or {}).items() if k.lower() not in RESERVED_HEADERS}
        headers.update(webhook_headers(signing_secrets(job.secrets_token), job.webhook_id, timestamp, job.body))
        response = client.post(
            job.url,
            data=job.body,
            headers=headers,
            retry=False,
            allow_redirects=False,
            timeout=(min(5.0, timeout), timeout),
            stream=True,
        )
    except (RefusedUrl, http.UnsafeDestination) as exc:
        return Result(False, error=f"Refused destination: {exc}"[:500], duration_ms=elapsed())
    except http.Timeout:
        return Result(False, error=f"Timed out after {timeout:.0f} s.", duration_ms=elapsed(), slow_down=True)
    except http.RequestException as exc:
        return Result(False, error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=elapsed())
    try:
        body = _read_limited(response, limit)
    except http.RequestException as exc:
        body = f"(response body unreadable: {type(exc).__name__})"
    finally:
        response.close()
    status = response.status_code
    result = Result(200 <= status < 300, status_code=status, body=body, duration_ms=elapsed())
    if not result.ok:
        if 300 <= status < 400:
            result.error = f"HTTP {status}: redirects are not followed; point the endpoint at the final URL."
        else:
            result.error = f"HTTP {status}"
        result.retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
        result.slow_down = status == 429
        result.gone = status == 410
    return result
