"""The common frame of the vendor sandboxes: small threaded HTTP servers that emulate a vendor's API
over real HTTP for the demo and the tests.

A vendor package builds a `SandboxApp`, registers routes on it, and exposes it through its
connector class (`Connector.sandbox_app()`); `manage.py sandbox <vendor> --port N` serves it and
`make run` starts one per vendor. Every sandbox has the same control surface under `/_sandbox/`:

- `GET  /_sandbox/state`   — what arrived (vendor-specific snapshot), for tests and the demo;
- `POST /_sandbox/knobs`   — `{"latency_ms": 50, "error_rate": 0.1, "fail_next": [503, 429]}`;
- `POST /_sandbox/reset`   — back to the seeded data;
- `GET|POST /_sandbox/activity` — the living demo world: `{"seconds": 30}` sets the cadence of business
  activity (0 turns it off), `{"ticks": 3}` makes three rounds of activity happen now;
- `POST /_sandbox/subscriptions` — `{"url": "…"}` adds an address the sandbox's webhooks go to (besides
  the `webhook_url` knob), as a vendor's webhook subscription API does.

Activity is deterministic: round k draws from `Random(f"{seed}:activity:{k}")`, so one seed and one
history give the same records. `connectors/sandbox_life.py` runs the rounds on their cadence and keeps
the data in a state file across restarts (`snapshot()` / `restore()`).

The sandboxes are deliberately dependency-free (standard library only) so they start in a blink.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class CaseInsensitiveDict(dict):
    def __init__(self, items):
        super().__init__((k.lower(), v) for k, v in items)

    def get(self, key, default=None):
        return super().get(key.lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    query_list: list[tuple[str, str]]
    headers: CaseInsensitiveDict
    body: bytes
    raw_path: str
    host: str
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> Response:
        return cls(status, json.dumps(data).encode(), {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> Response:
        return cls(status, b"", headers or {})


Handler = Callable[[Request], Response]


@dataclass
class Knobs:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    fail_next: list[int] = field(default_factory=list)


class SandboxApp:
    """Routes plus the shared control surface. Subclass or compose; call `route` to add endpoints."""

    name = "sandbox"

    def __init__(self, seed: int = 42):
        self.seed = seed
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.knobs = Knobs()
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.request_count = 0
        self.ticks = 0  # rounds of activity so far (persisted: round k always draws the same numbers)
        self.activity_seconds = 0.0  # the cadence of activity; 0 = off (the default: tests stay still)
        self.subscriptions: list[str] = []  # webhook addresses registered through /_sandbox/subscriptions
        self.dirty = False  # changed since the state file was last written
        self.route("GET", "/_sandbox/state", lambda r: Response.json(self.state()))
        self.route("POST", "/_sandbox/knobs", self._set_knobs)
        self.route("POST", "/_sandbox/reset", self._reset)
        self.route("GET", "/_sandbox/activity", lambda r: Response.json(self.activity_status()))
        self.route("POST", "/_sandbox/activity", self._set_activity)
        self.route("POST", "/_sandbox/subscriptions", self._subscribe)

    # --- to override -----------------------------------------------------------------------
    def state(self) -> dict:
        return {"requests": self.request_count}

    def reset(self) -> None:
        """Restore the seeded data."""

    def activity(self, rng: random.Random) -> tuple[dict, list[Callable[[], dict]]]:
        """One round of business activity (called under the lock): change the data and return a summary
        plus the webhook sends to make once the lock is released."""
        return {}, []

    def snapshot(self) -> dict:
        """The vendor's data as JSON-ready values (called under the lock), for the state file."""
        return {}

    def restore(self, data: dict) -> None:
        """Load what `snapshot` returned (called under the lock)."""

    def error_response(self, status: int) -> Response:
        """The vendor's own error body for an injected failure."""
        return Response.json({"error": f"injected failure {status}"}, status)

    def before_request(self, request: Request) -> Response | None:
        """Authentication and rate limiting; return a Response to stop the request."""
        return None

    # --- routing ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` is a path with `{name}` placeholders (one segment each), matched case-insensitively."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$"
        self.routes.append((method.upper(), re.compile(regex, re.IGNORECASE), handler))

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.request_count += 1
            if request.method not in ("GET", "HEAD"):
                self.dirty = True  # tokens, orders, quantities: whatever a write changed is saved soon
        is_control = request.path.startswith("/_sandbox/")
        if not is_control:
            injected = self._injected_failure()
            if injected is not None:
                return injected
            stop = self.before_request(request)
            if stop is not None:
                return stop
        allowed = []
        for method, regex, handler in self.routes:
            match = regex.match(request.path)
            if match:
                if method != request.method:
                    allowed.append(method)
                    continue
                request.params = match.groupdict()
                return handler(request)
        if allowed:
            return Response.json({"error": "method not allowed"}, 405, {"Allow": ", ".join(allowed)})
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response.json({"error": f"no route for {request.method} {request.path}"}, 404)

    def _injected_failure(self) -> Response | None:
        knobs = self.knobs
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        with self.lock:
            if knobs.fail_next:
                return self.error_response(knobs.fail_next.pop(0))
            if knobs.error_rate and self.rng.random() < knobs.error_rate:
                return self.error_response(503)
        return None

    def _set_knobs(self, request: Request) -> Response:
        data = request.json() or {}
        with self.lock:
            for key in ("latency_ms", "error_rate", "fail_next"):
                if key in data:
                    setattr(self.knobs, key, data[key])
            extra = {k: v for k, v in data.items() if k not in ("latency_ms", "error_rate", "fail_next")}
            self.set_extra_knobs(extra)
        return Response.json({"ok": True})

    def set_extra_knobs(self, data: dict) -> None:
        """Vendor-specific knobs (rate limits, concurrency limits, cost budgets)."""

    def _reset(self, request: Request) -> Response:
        with self.lock:
            self.knobs = Knobs()
            self.ticks = 0
            self.subscriptions = []
            self.reset()
        return Response.json({"ok": True})

    # --- the living world ------------------------------------------------------------------
    def webhook_targets(self) -> list[str]:
        """Where activity's webhooks go: the `webhook_url` knob and every subscription, once each."""
        targets = [getattr(self, "webhook_url", ""), *self.subscriptions]
        return list(dict.fromkeys(t for t in targets if t))

    def run_activity(self) -> dict:
        """One round of activity now; its webhooks are sent after the data changed (as a vendor does)."""
        with self.lock:
            rng = random.Random(f"{self.seed}:activity:{self.ticks}")
            summary, sends = self.activity(rng)
            self.ticks += 1
            self.dirty = True
        deliveries = [send() for send in sends]
        return {"tick": self.ticks, **summary, "webhooks": deliveries}

    def activity_status(self) -> dict:
        return {"seconds": self.activity_seconds, "ticks": self.ticks, "subscriptions": self.subscriptions}

    def _set_activity(self, request: Request) -> Response:
        data = request.json() or {}
        if "seconds" in data:
            try:
                seconds = float(data["seconds"] or 0)
            except (TypeError, ValueError):
                return Response.json({"error": "seconds must be a number (0 turns activity off)"}, 400)
            if seconds < 0:
                return Response.json({"error": "seconds must be 0 (off) or more"}, 400)
            self.activity_seconds = seconds
        rounds = [self.run_activity() for _ in range(max(0, int(data.get("ticks") or 0)))]
        return Response.json({**self.activity_status(), "rounds": rounds})

    def _subscribe(self, request: Request) -> Response:
        url = str((request.json() or {}).get("url") or "")
        if not url.startswith(("http://", "https://")):
            return Response.json({"error": "url must be an http(s) address"}, 400)
        with self.lock:
            if url not in self.subscriptions:
                self.subscriptions.append(url)
        return Response.json({"subscriptions": self.subscriptions}, 201)

    def persisted(self) -> dict:
        """Everything the state file keeps."""
        with self.lock:
            return {
                "vendor": self.name,
                "seed": self.seed,
                "ticks": self.ticks,
                "subscriptions": list(self.subscriptions),
                "data": self.snapshot(),
            }

    def load_persisted(self, saved: dict) -> None:
        with self.lock:
            self.ticks = int(saved.get("ticks") or 0)
            self.subscriptions = list(saved.get("subscriptions") or [])
            self.restore(saved.get("data") or {})
            self.dirty = False


def _make_handler(app: SandboxApp):
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm plus the
        # client's delayed ACK stall every keep-alive response by ~40 ms.
        disable_nagle_algorithm = True

        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query_list = [(k, v) for k, vs in parse_qs(parts.query, keep_blank_values=True).items() for v in vs]
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(query_list),
                query_list=query_list,
                headers=CaseInsensitiveDict(self.headers.items()),
                body=body,
                raw_path=self.path,
                host=self.headers.get("Host", ""),
            )
            try:
                response = app.dispatch(request)
            except Exception as exc:  # noqa: BLE001 - a sandbox bug must answer 500, not hang the client
                response = Response.json({"error": f"sandbox error: {type(exc).__name__}: {exc}"}, 500)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def log_message(self, *args):
            pass

    return RequestHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog is set when the socket starts listening, inside the constructor: as a class
    # attribute, not after it (the default of 5 refused connections under a burst of webhook-driven reads).
    request_queue_size = 128


class SandboxServer:
    """Serve a SandboxApp on a port in a background thread (tests) or in the foreground (command)."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.httpd = _Server((host, port), _make_handler(app))
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"sandbox-{self.app.name}", daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
