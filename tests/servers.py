"""A tiny scriptable HTTP server on loopback for tests of outbound HTTP."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ekyam.embedded import ServerThread

# Destinations both hardened clients (ekyam/http.py, ekyam/http_async.py) refuse without an allow-list:
# private, link-local (cloud metadata), loopback in IPv6 and IPv4-mapped form, the unspecified address, odd
# schemes.
UNSAFE_URLS = [
    "http://10.1.2.3/",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]:9/",
    "http://192.168.0.1/",
    "http://0.0.0.0/",
    "ftp://example.com/",
    "http://[::ffff:127.0.0.1]/",
]


class _RecordingServer(ServerThread):
    """A loopback HTTP server that keeps every request it gets in `requests` (method, path, headers, body)
    and answers each with what `answer(request)` returns: (status, headers, body)."""

    methods = ("GET", "POST", "PUT", "DELETE")

    def __init__(self):
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                owner.requests.append(request)
                status, headers, payload = owner.answer(request)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (timeout tests): nothing left to answer

            def log_message(self, *args):
                pass

        for method in self.methods:
            setattr(Handler, f"do_{method}", Handler._handle)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        super().__init__(httpd)

    def answer(self, request: dict) -> tuple[int, dict, bytes]:
        raise NotImplementedError


class ScriptedServer(_RecordingServer):
    """Answers each request with the next scripted (status, headers, body, delay) tuple (200 "ok" once the
    script has run out)."""

    def __init__(self):
        self.script: list[tuple[int, dict, bytes, float]] = []
        super().__init__()

    def answer(self, request):
        status, headers, payload, delay = self.script.pop(0) if self.script else (200, {}, b"ok", 0)
        if delay:
            time.sleep(delay)
        return status, headers, payload


class GatedServer(_RecordingServer):
    """Answers 200 to every POST, but only once `gate` is set (or after `hold` seconds): an endpoint that
    hangs for as long as a test needs it to."""

    methods = ("POST",)

    def __init__(self, hold: float = 30.0):
        self.gate = threading.Event()
        self.hold = hold
        super().__init__()

    def answer(self, request):
        self.gate.wait(self.hold)
        return 200, {}, b"ok"

    def __exit__(self, *exc):
        self.gate.set()
        return super().__exit__(*exc)
