"""The one hardened outbound HTTP client. Every request Ekyam makes to the outside goes through here.

What it adds to `requests`:
- connect and read timeouts on every call;
- bounded retries with exponential backoff and jitter for 429 and 5xx (and connection failures),
  honouring `Retry-After`; non-idempotent methods are retried only when the caller says so;
- no redirects unless asked;
- an SSRF guard: the host is resolved and refused when any address is private, loopback,
  link-local, reserved or multicast, unless `EKYAM_HTTP_ALLOWED_NETWORKS` permits it; the address
  actually connected to is checked again, so DNS rebinding between the check and the connect fails;
- structured logging of method, URL (without query), status and duration; never headers or bodies.

`requests` may be imported only in this module (a ruff rule bans it elsewhere).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger("ekyam.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Re-exported so callers can catch transport errors without importing requests themselves.
RequestException = requests.RequestException
Timeout = requests.Timeout
ConnectionError = requests.ConnectionError
Response = requests.Response


class UnsafeDestination(requests.ConnectionError):
    """The URL points at an address the SSRF guard refuses."""


def _allowed_networks() -> list[ipaddress._BaseNetwork]:
    from django.conf import settings

    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "HTTP_ALLOWED_NETWORKS", [])]


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified
    )


def address_allowed(address: str) -> bool:
    if is_public_address(address):
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in _allowed_networks())


def check_destination(url: str) -> None:
    """Raise UnsafeDestination unless every address the URL's host resolves to is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination(f"Only http and https URLs can be called, not {parts.scheme or 'no scheme'!r}.")
    if not parts.hostname:
        raise UnsafeDestination("The URL has no host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise requests.ConnectionError(f"Cannot resolve host {parts.hostname!r}: {exc.strerror}.") from None
    for info in infos:
        address = info[4][0]
        if not address_allowed(address):
            raise UnsafeDestination(
                f"Refusing to connect to {parts.hostname} ({address}): private, loopback and link-local "
                "addresses are blocked unless EKYAM_HTTP_ALLOWED_NETWORKS allows them."
            )


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


@dataclass
class HttpClient:
    """A configured client. Create one per integration (its settings), reuse it for many calls."""

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
        retry: bool | None = None,
        allow_redirects: bool = False,
        timeout: tuple[float, float] | float | None = None,
        **kwargs,
    ) -> requests.Response:
        """Send a request, retrying 429/5xx and connection failures with backoff.

        `retry` defaults to True for idempotent methods. The final response is returned whatever
        its status (callers decide what a 4xx means); the last exception is raised when every
        attempt failed to get a response.
        """
        method = method.upper()
        if retry is None:
            retry = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.max_retries if retry else 0)
        timeout = timeout if timeout is not None else (self.connect_timeout, self.read_timeout)
        check_destination(url)
        safe_url = url.split("?", 1)[0]
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                response = self.session.request(method, url, allow_redirects=allow_redirects, timeout=timeout, **kwargs)
            except UnsafeDestination:
                raise
            except (requests.ConnectionError, requests.Timeout) as exc:
                blocked = _find_unsafe(exc)
                if blocked is not None:
                    raise blocked from None
                duration = time.monotonic() - started
                log.warning(
                    "http %s %s failed after %.0f ms: %s",
                    method,
                    safe_url,
                    duration * 1000,
                    type(exc).__name__,
                    extra={
                        "http_method": method,
                        "http_url": safe_url,
                        "duration_ms": round(duration * 1000),
                        "error": type(exc).__name__,
                    },
                )
                if attempt + 1 >= attempts:
                    raise
                self.sleep(backoff_delay(attempt, self.backoff_base, self.backoff_max))
                continue
            duration = time.monotonic() - started
            log.info(
                "http %s %s -> %s in %.0f ms",
                method,
                safe_url,
                response.status_code,
                duration * 1000,
                extra={
                    "http_method": method,
                    "http_url": safe_url,
                    "http_status": response.status_code,
                    "duration_ms": round(duration * 1000),
                },
            )
            if response.status_code in self.retry_statuses and attempt + 1 < attempts:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is None:
                    wait = backoff_delay(attempt, self.backoff_base, self.backoff_max)
                response.close()
                self.sleep(min(wait, self.backoff_max))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

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
