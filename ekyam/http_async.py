"""`AsyncHttpClient`: the hardened client (`ekyam.http`) for asyncio code, on libcurl's multi interface.

Same guarantees and exception types as `ekyam.http.HttpClient`: connect and overall timeouts,
bounded retries with backoff for 429/5xx honouring Retry-After, no redirects unless asked, the SSRF
guard, metadata-only logging. Webhook delivery keeps hundreds of requests in flight on one event
loop; there the Python work per request is what limits throughput. libcurl (through pycurl) does
the HTTP and TLS work, the keep-alive pool, DNS and the timers in C, and Python only sets options
and collects the answer: about half the CPU per request of aiohttp's client, which this module used
before (`bench webhooks` prints this client alone beside a bare aiohttp client, same receiver).

The SSRF guard: a scheme check before anything happens, then libcurl's open-socket callback, which
sees every address libcurl is about to connect to (IP literals and resolved names alike, each
address it falls back to, every redirect) and refuses blocked ones. The check is on the
address actually connected to, so DNS rebinding between a check and the connect cannot slip
through; a reused keep-alive connection was checked when it was opened. Proxies from the
environment, cookies and protocols other than http(s) are switched off.

Timeouts: `connect` bounds the TCP (and TLS) connect; `read` bounds the whole exchange, connect
included (libcurl's overall timeout): what a webhook sender promises ("15 s per attempt").

`pycurl` may be imported only in this module (a ruff rule bans it elsewhere).
"""

from __future__ import annotations

import asyncio
import json
import logging
import select
import socket
import time
from typing import Any, NamedTuple, Unpack

import certifi
import pycurl

from ekyam import http

log = logging.getLogger("ekyam.http")

_WANTS = {pycurl.POLL_NONE: 0, pycurl.POLL_IN: 1, pycurl.POLL_OUT: 2, pycurl.POLL_INOUT: 3, pycurl.POLL_REMOVE: 0}
_WEB_PROTOCOLS = pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS
_CA_BUNDLE = certifi.where()
_MAX_REDIRECTS = 5


class AsyncResponse:
    """A fully read (or deliberately truncated) response. Headers are parsed on first use: webhook
    delivery reads them only for failures."""

    __slots__ = ("status_code", "content", "url", "truncated", "_header_lines", "_headers")

    def __init__(self, status_code: int, header_lines: list[bytes], content: bytes, url: str, truncated: bool):
        self.status_code = status_code
        self.content = content
        self.url = url
        self.truncated = truncated
        self._header_lines = header_lines
        self._headers = None

    @property
    def headers(self) -> http.Headers:
        if self._headers is None:
            headers = http.Headers()
            for raw in self._header_lines:
                if raw.startswith(b"HTTP/"):
                    headers = http.Headers()  # a new response (after a 100 Continue or a redirect)
                    continue
                name, sep, value = raw.decode("latin-1").partition(":")
                if not sep:
                    continue  # the blank line ending the block
                name, value = name.strip(), value.strip()
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self._headers = headers
        return self._headers

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


class _Request(NamedTuple):
    """What every attempt of one `request` call sends."""

    url: str
    host: str
    header_list: list[str]
    connect_ms: int
    timeout_ms: int
    max_body: int | None
    shape: tuple  # (method, follow redirects, has a body): the options a reused handle keeps


class _Transfer:
    """One libcurl easy handle and the state of the request it carries. Handles are reused (reset
    between requests); connections live in the multi handle's pool, shared by all of them."""

    __slots__ = ("curl", "future", "shape", "host", "limit", "size", "chunks", "header_lines", "truncated", "refused")

    def __init__(self):
        self.curl = pycurl.Curl()
        self.curl.transfer = self
        self.future: asyncio.Future | None = None
        self.shape: tuple | None = None

    def prepare(self, request: _Request, body: bytes | None) -> None:
        self.host, self.limit = request.host, request.max_body
        self.size, self.chunks, self.header_lines = 0, [], []
        self.truncated, self.refused = False, None
        curl = self.curl
        if self.shape != request.shape:
            # Only a handle last used for another kind of request is reset: resetting and setting
            # every option again on each of thousands of webhook POSTs a second showed in profiles.
            self.shape = request.shape
            curl.reset()
            curl.setopt(pycurl.WRITEFUNCTION, self._write)
            curl.setopt(pycurl.OPENSOCKETFUNCTION, self._open_socket)
            curl.setopt(pycurl.NOSIGNAL, 1)
            curl.setopt(pycurl.PROTOCOLS, _WEB_PROTOCOLS)
            curl.setopt(pycurl.REDIR_PROTOCOLS, _WEB_PROTOCOLS)
            curl.setopt(pycurl.PROXY, "")  # an empty proxy also ignores http_proxy & co. in the environment
            curl.setopt(pycurl.CAINFO, _CA_BUNDLE)
            method, follow, with_body = request.shape
            if follow:
                curl.setopt(pycurl.FOLLOWLOCATION, 1)
                curl.setopt(pycurl.MAXREDIRS, _MAX_REDIRECTS)
            if method == "HEAD":
                curl.setopt(pycurl.NOBODY, 1)
            elif method != "POST" and (method != "GET" or with_body):
                curl.setopt(pycurl.CUSTOMREQUEST, method)  # a body alone would make it a POST
        # Header lines go straight into a list (a Python callback per line showed in profiles).
        curl.setopt(pycurl.HEADERFUNCTION, self.header_lines.append)
        curl.setopt(pycurl.URL, request.url)
        curl.setopt(pycurl.HTTPHEADER, request.header_list)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, request.connect_ms)
        curl.setopt(pycurl.TIMEOUT_MS, request.timeout_ms)
        if body is not None:
            curl.setopt(pycurl.POSTFIELDS, body)

    def _write(self, chunk: bytes):
        if self.limit is not None and self.size + len(chunk) > self.limit:
            room = self.limit - self.size
            self.chunks.append(chunk[:room])
            self.size += room
            self.truncated = True
            return 0  # stop reading: libcurl ends the transfer (and drops the connection)
        self.chunks.append(chunk)
        self.size += len(chunk)
        return None

    def _open_socket(self, purpose, address):
        ip = address.addr[0]
        if not http.address_allowed(ip):
            if self.refused is None:
                self.refused = (
                    f"Refusing connection to blocked address {ip} ({self.host}): private, loopback and "
                    "link-local addresses are blocked unless EKYAM_HTTP_ALLOWED_NETWORKS allows them."
                )
            return pycurl.SOCKET_BAD
        return socket.socket(address.family, address.socktype, address.protocol)


class _EpollWatcher:
    """The sockets libcurl wants watched, in an epoll set of our own whose single descriptor the
    event loop watches. Registering each request's socket with the loop itself (uvloop creates and
    frees a poll handle per add/remove) was a fifth of the delivery loop's time; here it is one
    epoll_ctl call, and one wake-up serves every socket that is ready."""

    _MASKS = {1: select.EPOLLIN, 2: select.EPOLLOUT, 3: select.EPOLLIN | select.EPOLLOUT}

    def __init__(self, loop: asyncio.AbstractEventLoop, act):
        self.loop, self.act = loop, act
        self.epoll = select.epoll()
        loop.add_reader(self.epoll.fileno(), self._ready)

    def change(self, fd: int, old: int, new: int) -> None:
        if not old:
            self.epoll.register(fd, self._MASKS[new])
        elif not new:
            self.epoll.unregister(fd)
        else:
            self.epoll.modify(fd, self._MASKS[new])

    def _ready(self) -> None:
        ready = []
        for fd, events in self.epoll.poll(0):
            mask = 0
            if events & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                mask |= pycurl.CSELECT_IN
            if events & select.EPOLLOUT:
                mask |= pycurl.CSELECT_OUT
            if events & select.EPOLLERR:
                mask |= pycurl.CSELECT_ERR
            ready.append((fd, mask))
        self.act(ready)

    def close(self, watched: dict[int, int]) -> None:
        self.loop.remove_reader(self.epoll.fileno())
        self.epoll.close()  # and with it every registration


class _LoopWatcher:
    """The same through the event loop's own reader/writer callbacks, where there is no epoll."""

    def __init__(self, loop: asyncio.AbstractEventLoop, act):
        self.loop, self.act = loop, act

    def change(self, fd: int, old: int, new: int) -> None:
        if new & 1 and not old & 1:
            self.loop.add_reader(fd, self.act, [(fd, pycurl.CSELECT_IN)])
        elif old & 1 and not new & 1:
            self.loop.remove_reader(fd)
        if new & 2 and not old & 2:
            self.loop.add_writer(fd, self.act, [(fd, pycurl.CSELECT_OUT)])
        elif old & 2 and not new & 2:
            self.loop.remove_writer(fd)

    def close(self, watched: dict[int, int]) -> None:
        for fd, wants in watched.items():
            self.change(fd, wants, 0)


class _CurlLoop:
    """Drives one libcurl multi handle from an asyncio event loop: libcurl says which sockets to
    watch and when to wake up; the loop calls it back; finished transfers resolve their futures."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_connections: int):
        self.loop = loop
        self.multi = pycurl.CurlMulti()
        self.multi.setopt(pycurl.M_SOCKETFUNCTION, self._watch)
        self.multi.setopt(pycurl.M_TIMERFUNCTION, self._set_timer)
        # Like a connection pool's limit: transfers beyond it wait inside libcurl for a connection.
        self.multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, max_connections)
        self.multi.setopt(pycurl.M_MAXCONNECTS, max_connections)
        self.timer: asyncio.Handle | None = None
        self.timer_when = 0.0
        self.watched: dict[int, int] = {}  # fd → 1 (read), 2 (write) or 3
        self.watcher = (_EpollWatcher if hasattr(select, "epoll") else _LoopWatcher)(loop, self._act)
        self.running: set[_Transfer] = set()
        self.idle: list[_Transfer] = []

    def start(self, transfer: _Transfer) -> asyncio.Future:
        future = self.loop.create_future()
        try:
            self.multi.add_handle(transfer.curl)
        except pycurl.error as exc:
            transfer.curl.close()  # in an unknown state: not reused
            raise http.ConnectionError(f"libcurl could not start the request: {exc}") from None
        transfer.future = future
        self.running.add(transfer)
        return future

    def abort(self, transfer: _Transfer, future: asyncio.Future) -> None:
        """Drop the transfer of `future`, whose caller went away (cancelled); a transfer that has
        finished meanwhile may already carry another request."""
        if transfer.future is future and transfer in self.running:
            self.multi.remove_handle(transfer.curl)
            self.running.discard(transfer)
            transfer.future = None
            self.idle.append(transfer)

    def take(self) -> _Transfer:
        return self.idle.pop() if self.idle else _Transfer()

    # libcurl's callbacks (called from inside socket_action / add_handle)

    def _watch(self, event: int, fd: int, multi, data) -> None:
        old, new = self.watched.get(fd, 0), _WANTS.get(event, 0)
        if old == new:
            return
        try:
            self.watcher.change(fd, old, new)
        except (OSError, ValueError):  # e.g. a descriptor that cannot be watched; the timeout ends that request
            log.exception("cannot watch socket %s", fd)
        if new:
            self.watched[fd] = new
        else:
            self.watched.pop(fd, None)

    def _set_timer(self, milliseconds: int) -> None:
        # libcurl moves its wake-up time several times per request. Waking it early is harmless (it
        # finds nothing due and asks again), so a pending earlier wake-up is kept rather than
        # replaced: fewer timer handles created and cancelled.
        if milliseconds < 0:
            return
        when = self.loop.time() + milliseconds / 1000
        if self.timer is not None:
            if self.timer_when <= when:
                return
            self.timer.cancel()
        # (uvloop hands back a plain Handle, without when(), for a time already past.)
        self.timer, self.timer_when = self.loop.call_at(when, self._on_timer), when

    # the event loop's callbacks

    def _on_timer(self) -> None:
        self.timer = None
        self._act([(pycurl.SOCKET_TIMEOUT, 0)])

    def _act(self, ready: list[tuple[int, int]]) -> None:
        """Let libcurl work on the (socket, event mask) pairs that are ready, then settle what finished."""
        for fd, mask in ready:
            try:
                self.multi.socket_action(fd, mask)
            except pycurl.error:
                log.exception("libcurl multi error on socket %s", fd)
        while True:
            queued, done, failed = self.multi.info_read()
            for curl in done:
                self._finish(curl.transfer, 0, "")
            for curl, code, message in failed:
                self._finish(curl.transfer, code, message)
            if not queued:
                break

    def _finish(self, transfer: _Transfer, code: int, message: str) -> None:
        self.multi.remove_handle(transfer.curl)
        self.running.discard(transfer)
        future, transfer.future = transfer.future, None
        if future is not None and not future.done():
            if code == 0 or (code == pycurl.E_WRITE_ERROR and transfer.truncated):
                # Everything the caller needs is taken now: the handle is reused as soon as it is idle.
                curl = transfer.curl
                future.set_result(
                    AsyncResponse(
                        curl.getinfo(pycurl.RESPONSE_CODE),
                        transfer.header_lines,
                        b"".join(transfer.chunks),
                        curl.getinfo(pycurl.EFFECTIVE_URL),
                        transfer.truncated,
                    )
                )
            else:
                future.set_exception(_transport_error(transfer, code, message))
        transfer.chunks = transfer.header_lines = []
        self.idle.append(transfer)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        for transfer in list(self.running):
            future = transfer.future
            self.abort(transfer, future)
            if future is not None and not future.done():
                future.set_exception(http.ConnectionError("The client was closed."))
        self.watcher.close(self.watched)
        self.watched.clear()
        for transfer in self.idle:
            transfer.curl.close()
        self.idle.clear()
        self.multi.close()


def _transport_error(transfer: _Transfer, code: int, message: str) -> Exception:
    if transfer.refused:
        return http.UnsafeDestination(transfer.refused)
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return http.Timeout(f"Timed out: {message}")
    return http.ConnectionError(f"{message} (libcurl error {code})")


def _encode_body(data: Any, json_body: Any, headers: dict[str, str]) -> bytes | None:
    """The request body and, when the caller set none, its Content-Type."""
    if json_body is not None:
        headers.setdefault("content-type", "Content-Type: application/json")
        return json.dumps(json_body).encode()
    if data is None:
        return None
    if isinstance(data, str):
        headers.setdefault("content-type", "Content-Type: text/plain; charset=utf-8")
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        headers.setdefault("content-type", "Content-Type: application/octet-stream")
        return bytes(data)
    raise TypeError(f"data must be bytes or str, not {type(data).__name__}")


class AsyncHttpClient(http._ClientSettings):
    """The hardened client for asyncio. Use it from one event loop (the libcurl driver is created on
    first use inside it); `await client.close()` when done."""

    def __init__(self, *, sleep=asyncio.sleep, **settings):
        super().__init__(sleep=sleep, **settings)

    def __post_init__(self):  # the dataclass base calls it from __init__
        super().__post_init__()
        self._curl: _CurlLoop | None = None
        defaults = {"user-agent": self.user_agent, **self.default_headers}
        # Pre-rendered "Name: value" lines keyed by lower-case name; `Expect:` stops libcurl waiting
        # for a 100 Continue before larger bodies.
        self._default_lines = {name.lower(): f"{name}: {value}" for name, value in defaults.items()}
        self._default_lines["user-agent"] = f"User-Agent: {self.user_agent}"
        self._default_lines["expect"] = "Expect:"

    def _driver(self) -> _CurlLoop:
        if self._curl is None:
            self._curl = _CurlLoop(asyncio.get_running_loop(), self.pool_size)
        return self._curl

    async def close(self) -> None:
        if self._curl is not None:
            self._curl.close()
            self._curl = None

    async def __aenter__(self) -> AsyncHttpClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def _header_lines(self, headers: dict[str, str] | None) -> dict[str, str]:
        lines = dict(self._default_lines)
        for name, value in (headers or {}).items():
            line = f"{name}: {value}"
            if "\r" in line or "\n" in line:
                raise ValueError(f"Header {name!r} contains a line break.")
            lines[name.lower()] = line
        return lines

    async def request(
        self,
        method: str,
        url: str,
        *,
        max_body: int | None = None,
        data: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **options: Unpack[http.CallOptions],
    ) -> AsyncResponse:
        """Send a request, retrying 429/5xx and connection failures with backoff (as HttpClient, whose
        `CallOptions` it takes: `retry`, `allow_redirects`, `timeout`).

        `max_body` reads at most that many bytes of the response body (the rest is not read and
        the connection is dropped). `data` is bytes or str, `json` any JSON-serialisable value.
        """
        call = self.plan_call(method, url, options)
        if options:
            raise TypeError(f"request() got unexpected keyword arguments: {', '.join(sorted(options))}")
        method, attempts, allow_redirects = call.method, call.attempts, call.allow_redirects
        # Scheme and host now; addresses (IP literals and resolved names alike) when libcurl connects.
        host = http._checked_url(url).hostname
        lines = self._header_lines(headers)
        body = _encode_body(data, json, lines)
        if body is None and method not in ("GET", "HEAD"):
            body = b""  # e.g. a POST without a body still sends Content-Length: 0
        request = _Request(
            url=url,
            host=host,
            header_list=list(lines.values()),
            connect_ms=max(1, int(call.connect_timeout * 1000)),
            timeout_ms=max(1, int(call.read_timeout * 1000)),
            max_body=max_body,
            shape=(method, allow_redirects, body is not None),
        )
        logged_url = call.logged_url
        driver = self._driver()
        for attempt in range(attempts):
            started = time.monotonic()
            transfer = driver.take()
            transfer.prepare(request, body)
            future = driver.start(transfer)
            try:
                response = await future
            except asyncio.CancelledError:
                driver.abort(transfer, future)
                raise
            except http.UnsafeDestination:
                raise
            except (http.Timeout, http.ConnectionError) as exc:
                http.log_failure(method, logged_url, started, exc)
                wait = self._wait_after_failure(attempt, attempts)
                if wait is None:
                    raise
                await self.sleep(wait)
                continue
            if not allow_redirects:
                response.url = url  # as asked (libcurl's effective URL may be normalised)
            http.log_response(method, logged_url, started, response.status_code)
            wait = self._wait_after_response(response, attempt, attempts)
            if wait is not None:
                await self.sleep(wait)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, url: str, **kwargs) -> AsyncResponse:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs) -> AsyncResponse:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs) -> AsyncResponse:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs) -> AsyncResponse:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs) -> AsyncResponse:
        return await self.request("DELETE", url, **kwargs)
