"""The one hardened outbound HTTP client. Every request Ekyam makes to the outside goes through here.

What it adds to `requests`:
- connect and read timeouts on every call;
- the one retry policy of Ekyam's outbound calls (on tenacity): bounded attempts with full-jitter
  exponential backoff for 429 and 5xx (and connection failures), honouring `Retry-After`;
  non-idempotent methods are retried only when the caller says so. A call makes at most
  `1 + max_retries` attempts (EKYAM_HTTP_MAX_RETRIES, 4 by default: 5 attempts). Vendor clients do not
  loop themselves: they pass per-attempt hooks instead (`prepare` re-signs or re-authorizes each attempt,
  `slot` holds a concurrency slot only while an attempt is in flight, `retry_if` says which vendor answers
  are worth another attempt and may name the wait, `before_retry` sees each retried answer) and only
  translate the final answer into connector errors;
- no redirects unless asked;
- an SSRF guard: the host is resolved and refused when any address is not globally routable
  (`ip.is_global`, plus the shared, 6to4, site-local, NAT64, Teredo … ranges refused by name: cloud
  metadata lives at 100.100.100.200 and 169.254.169.254), unless `EKYAM_HTTP_ALLOWED_NETWORKS` permits it; the address
  actually connected to is checked again, so DNS rebinding between the check and the connect fails;
- structured logging of method, URL (without query), status and duration; never headers or bodies.

`ekyam.http_async.AsyncHttpClient` is the same client for asyncio code (on libcurl), with the same
guarantees and the same exception types, for callers that keep many requests in flight on one loop.

`requests` may be imported only in this module (a ruff rule bans it elsewhere).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ekyam.redaction import redact

log = logging.getLogger("ekyam.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Re-exported so callers can catch transport errors without importing requests themselves.
RequestException = requests.RequestException
Timeout = requests.Timeout
ConnectionError = requests.ConnectionError
Response = requests.Response
Headers = requests.structures.CaseInsensitiveDict


class UnsafeDestination(requests.ConnectionError):
    """The URL points at an address the SSRF guard refuses."""


def _allowed_networks() -> tuple[ipaddress._BaseNetwork, ...]:
    from django.conf import settings

    return _parse_networks(tuple(getattr(settings, "HTTP_ALLOWED_NETWORKS", [])))


@lru_cache(maxsize=32)
def _parse_networks(networks: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    # Keyed on the setting's value, so a changed allow-list applies at once; parsing it on every
    # request cost more than the rest of the guard.
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


# Ranges refused although some Python versions call (parts of) them global: shared address space
# (carrier NAT, cloud metadata at 100.100.100.200), IETF protocol assignments, benchmarking, "this
# network", class E; IPv6 6to4, site-local, NAT64, Teredo, documentation, ULA, discard-only, ORCHIDv2.
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "2002::/16",
              "fec0::/10", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2001:db8::/32", "fc00::/7", "100::/64",
              "2001:20::/28")
)  # fmt: skip


def is_public_address(address: str) -> bool:
    """Globally routable, unicast and none of `REFUSED_NETWORKS` (IPv4-mapped IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return False
    return not any(ip in network for network in REFUSED_NETWORKS if network.version == ip.version)


def check_url_policy(url: str) -> None:
    """The save-time check (no DNS lookup): an http(s) URL whose host, when it is a literal address,
    the guard allows. Hostnames are resolved and checked at connect time, every time."""
    parts = _checked_url(url)
    host = parts.hostname.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            check_addresses(host, ["127.0.0.1"])
        return
    check_addresses(host, [host])


def address_allowed(address: str) -> bool:
    return _address_allowed(address, _allowed_networks())


@lru_cache(maxsize=4096)
def _address_allowed(address: str, networks: tuple[ipaddress._BaseNetwork, ...]) -> bool:
    # A pure function of the address and the allow-list: cached, as the guard runs on every request.
    if is_public_address(address):
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in networks)


@lru_cache(maxsize=4096)
def _checked_url(url: str):
    """The URL's parts, once its scheme is http(s) and it names a host (both clients' first check).
    Cached: a pure function of the string, called for every request (refusals raise, and are not cached)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination(f"Only http and https URLs can be called, not {parts.scheme or 'no scheme'!r}.")
    if not parts.hostname:
        raise UnsafeDestination("The URL has no host.")
    return parts


def check_addresses(host: str, addresses: list[str]) -> None:
    """Raise UnsafeDestination unless every address `host` resolved to is allowed (the pre-connect
    check of both clients; the connected peer is checked again separately)."""
    for address in addresses:
        if not address_allowed(address):
            raise UnsafeDestination(
                f"Refusing to connect to {host} ({address}): only globally routable addresses can be "
                "reached (private, loopback, link-local, shared and metadata addresses are blocked unless "
                "EKYAM_HTTP_ALLOWED_NETWORKS allows them)."
            )


def check_destination(url: str) -> None:
    """Raise UnsafeDestination unless every address the URL's host resolves to is allowed."""
    parts = _checked_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise requests.ConnectionError(f"Cannot resolve host {parts.hostname!r}: {exc.strerror}.") from None
    check_addresses(parts.hostname, [info[4][0] for info in infos])


class _GuardedConnectionMixin:
    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not address_allowed(peer):
            sock.close()
            raise UnsafeDestination(f"Refusing connection to blocked address {peer}.")
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def _find_unsafe(exc: BaseException, depth: int = 0) -> UnsafeDestination | None:
    """The connect-time guard's error, wherever requests/urllib3 wrapped it."""
    if isinstance(exc, UnsafeDestination):
        return exc
    if depth > 5:
        return None
    for inner in [*exc.args, exc.__cause__, exc.__context__]:
        if isinstance(inner, BaseException):
            found = _find_unsafe(inner, depth + 1)
            if found is not None:
                return found
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


# --- decisions both clients share (pure: no I/O, no sleeping) --------------------------------


def attempts_for(method: str, retry: bool | None, max_retries: int) -> int:
    """How many attempts a call gets: retries only for idempotent methods unless the caller says."""
    if retry is None:
        retry = method in IDEMPOTENT_METHODS
    return 1 + (max_retries if retry else 0)


def failure_wait(attempt: int, attempts: int, base: float, cap: float) -> float | None:
    """After a failure to get any response: seconds to wait before the next attempt, or None when
    that was the last one (the caller raises)."""
    if attempt + 1 >= attempts:
        return None
    return backoff_delay(attempt, base, cap)


def response_wait(
    status: int, retry_after: str | None, attempt: int, attempts: int, retry_statuses, base: float, cap: float
) -> float | None:
    """After a response: seconds to wait before retrying it, or None to return it to the caller.
    Retry-After is honoured when present, else backoff; never longer than `cap`."""
    if status not in retry_statuses or attempt + 1 >= attempts:
        return None
    wait = parse_retry_after(retry_after)
    if wait is None:
        wait = backoff_delay(attempt, base, cap)
    return min(wait, cap)


def raise_if_blocked(exc: BaseException) -> None:
    """Re-raise the connect-time guard's refusal hidden inside a transport error, on its own."""
    blocked = _find_unsafe(exc)
    if blocked is not None:
        raise blocked from None


@lru_cache(maxsize=4096)
def safe_url(url: str) -> str:
    """The URL as logged: without its query, which may carry tokens, and redacted (userinfo, Slack
    webhook paths, inbound webhook tokens, secret shapes; see ekyam.redaction). Cached: called for
    every request, with few distinct URLs."""
    return redact(url.split("?", 1)[0])


def log_failure(method: str, url: str, started: float, exc: BaseException) -> None:
    duration = time.monotonic() - started
    log.warning(
        "http %s %s failed after %.0f ms: %s",
        method,
        url,
        duration * 1000,
        type(exc).__name__,
        extra={
            "http_method": method,
            "http_url": url,
            "duration_ms": round(duration * 1000),
            "error": type(exc).__name__,
        },
    )


def log_response(method: str, url: str, started: float, status: int) -> None:
    if not log.isEnabledFor(logging.INFO):
        return  # thousands of calls a second in webhook delivery: skip building the record
    duration = time.monotonic() - started
    log.info(
        "http %s %s -> %s in %.0f ms",
        method,
        url,
        status,
        duration * 1000,
        extra={
            "http_method": method,
            "http_url": url,
            "http_status": status,
            "duration_ms": round(duration * 1000),
        },
    )


class CallOptions(TypedDict, total=False):
    """The options of one call that both clients' `request()` take, declared once; `plan_call` resolves them."""

    retry: bool | None  # retry transport failures too; None: only for idempotent methods
    allow_redirects: bool  # False by default
    timeout: tuple[float, float] | float | None  # (connect, read) or both; None: the client's settings


@dataclass(frozen=True, slots=True)
class Call:
    """One call's options resolved against a client's settings (the same rules for both clients)."""

    method: str  # upper case
    retry: bool  # whether a transport failure may be retried: the call is safe to repeat
    attempts: int  # at most this many attempts
    allow_redirects: bool
    connect_timeout: float
    read_timeout: float
    logged_url: str  # as logs show it (safe_url)


@dataclass
class _ClientSettings:
    """The settings both clients take; None means the project setting (EKYAM_HTTP_*)."""

    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_retries: int | None = None
    backoff_base: float | None = None
    backoff_max: float | None = None
    retry_statuses: frozenset[int] = RETRY_STATUSES
    default_headers: dict[str, str] = field(default_factory=dict)
    user_agent: str = "Ekyam/1.0 (+https://ekyam.dev)"
    sleep: Any = time.sleep
    pool_size: int = 10

    def __post_init__(self):
        from django.conf import settings

        self.connect_timeout = (
            self.connect_timeout if self.connect_timeout is not None else settings.HTTP_CONNECT_TIMEOUT
        )
        self.read_timeout = self.read_timeout if self.read_timeout is not None else settings.HTTP_READ_TIMEOUT
        self.max_retries = self.max_retries if self.max_retries is not None else settings.HTTP_MAX_RETRIES
        self.backoff_base = self.backoff_base if self.backoff_base is not None else settings.HTTP_BACKOFF_BASE
        self.backoff_max = self.backoff_max if self.backoff_max is not None else settings.HTTP_BACKOFF_MAX

    def plan_call(self, method: str, url: str, options: dict, *, answers_judged: bool = False) -> Call:
        """Resolve a call's `CallOptions`, taking them out of `options` (what is left belongs to the caller).

        Transport failures are retried only when the call is safe to repeat (idempotent, or the caller says
        so); answers are retried under the same rule, or whenever the caller judges them
        (`answers_judged`), since the caller then knows the vendor did not process them (a 429 on a create).
        """
        method = method.upper()
        retry = options.pop("retry", None)
        retry = retry if retry is not None else method in IDEMPOTENT_METHODS
        timeout = options.pop("timeout", None)
        if timeout is None:
            timeout = (self.connect_timeout, self.read_timeout)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        return Call(
            method=method,
            retry=retry,
            attempts=attempts_for(method, retry or answers_judged, self.max_retries),
            allow_redirects=options.pop("allow_redirects", False),
            connect_timeout=connect,
            read_timeout=read,
            logged_url=safe_url(url),
        )

    def _wait_after_failure(self, attempt: int, attempts: int) -> float | None:
        return failure_wait(attempt, attempts, self.backoff_base, self.backoff_max)

    def _wait_after_response(self, response, attempt: int, attempts: int) -> float | None:
        if response.status_code not in self.retry_statuses or attempt + 1 >= attempts:
            return None  # the common case: no need to look at the headers
        retry_after = response.headers.get("Retry-After")
        return response_wait(
            response.status_code,
            retry_after,
            attempt,
            attempts,
            self.retry_statuses,
            self.backoff_base,
            self.backoff_max,
        )


@dataclass
class HttpClient(_ClientSettings):
    """A configured client. Create one per integration (its settings), reuse it for many calls."""

    def __post_init__(self):
        super().__post_init__()
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or netrc from the environment
        adapter = _GuardedAdapter(pool_connections=self.pool_size, pool_maxsize=self.pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = self.user_agent
        self.session.headers.update(self.default_headers)

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        prepare: Callable[[int], dict[str, str]] | None = None,
        slot: Callable[[], Any] | None = None,
        retry_if: Callable[[requests.Response], bool | float] | None = None,
        before_retry: Callable[[requests.Response | None, float], None] | None = None,
        **kwargs: Unpack[CallOptions],
    ) -> requests.Response:
        """Send a request under the retry policy: 429/5xx and connection failures are retried with backoff.

        `retry`, `allow_redirects` and `timeout` are the `CallOptions` (as for AsyncHttpClient); every
        other keyword goes to `requests`. `retry` defaults to True for idempotent methods; at most
        `1 + max_retries` attempts are made. The final response is returned whatever its status (callers
        decide what a 4xx means); the last exception is raised when every attempt failed to get a response.

        Per-attempt hooks, for vendor clients:
        - `prepare(attempt)` → headers for this attempt (attempt counts from 0): a fresh OAuth signature
          or nonce, the current access token, a client-side rate slot;
        - `slot()` → a context manager held around the attempt only, never while backing off;
        - `retry_if(response)` → whether this answer is worth another attempt (replacing the status rule):
          True waits by `Retry-After` or backoff, a number waits that many seconds, False returns it;
        - `before_retry(response, wait)` → called before each wait (response is None after a transport
          failure), e.g. to pause a rate limiter shared with other callers.
        """
        call = self.plan_call(method, url, kwargs, answers_judged=retry_if is not None)
        method, resolved, attempts, logged_url = call.method, call.retry, call.attempts, call.logged_url
        allow_redirects, timeout = call.allow_redirects, (call.connect_timeout, call.read_timeout)
        check_destination(url)
        base_headers = kwargs.pop("headers", None) or {}

        def attempt_once(attempt: int) -> requests.Response:
            headers = {**base_headers, **prepare(attempt)} if prepare is not None else base_headers
            started = time.monotonic()
            with slot() if slot is not None else nullcontext():
                try:
                    response = self.session.request(
                        method, url, allow_redirects=allow_redirects, timeout=timeout, headers=headers, **kwargs
                    )
                except UnsafeDestination:
                    raise
                except (requests.ConnectionError, requests.Timeout) as exc:
                    raise_if_blocked(exc)
                    log_failure(method, logged_url, started, exc)
                    raise
            log_response(method, logged_url, started, response.status_code)
            return response

        def response_wait(response: requests.Response, attempt: int) -> float | None:
            verdict = retry_if(response) if retry_if is not None else response.status_code in self.retry_statuses
            if verdict is False or verdict is None:
                return None
            if verdict is not True:
                return min(float(verdict), self.backoff_max)
            parsed = parse_retry_after(response.headers.get("Retry-After"))
            wait = parsed if parsed is not None else backoff_delay(attempt, self.backoff_base, self.backoff_max)
            return min(wait, self.backoff_max)

        waits: dict[int, float | None] = {}  # attempt number -> the verdict on its answer (judged once)

        def wait(state: tenacity.RetryCallState) -> float:
            if state.outcome.failed:
                return backoff_delay(state.attempt_number - 1, self.backoff_base, self.backoff_max)
            return waits.get(state.attempt_number) or 0.0

        def worth_retrying(state: tenacity.RetryCallState) -> bool:
            if state.outcome.failed:
                exc = state.outcome.exception()
                transport = isinstance(exc, requests.ConnectionError | requests.Timeout)
                return resolved and transport and not isinstance(exc, UnsafeDestination)
            waits[state.attempt_number] = response_wait(state.outcome.result(), state.attempt_number - 1)
            return waits[state.attempt_number] is not None

        def before_sleep(state: tenacity.RetryCallState) -> None:
            response = None if state.outcome.failed else state.outcome.result()
            if before_retry is not None:
                before_retry(response, state.next_action.sleep)
            if response is not None:
                response.close()

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=wait,
            retry=worth_retrying,
            before_sleep=before_sleep,
            sleep=self.sleep,
            # Out of attempts: the last answer goes back to the caller, the last transport error is raised.
            retry_error_callback=lambda state: state.outcome.result(),
        )
        return retrying(lambda: attempt_once(retrying.statistics["attempt_number"] - 1))

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs) -> requests.Response:
        return self.request("DELETE", url, **kwargs)
