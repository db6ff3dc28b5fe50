"""A tiny scriptable HTTP server on loopback for tests of outbound HTTP."""

from __future__ import annotations

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


class ScriptedServer(ServerThread):
    """Answers each request with the next scripted (status, headers, body, delay) tuple."""

    def __init__(self):
        self.script: list[tuple[int, dict, bytes, float]] = []
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, headers, payload, delay = owner.script.pop(0) if owner.script else (200, {}, b"ok", 0)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (timeout tests): nothing left to answer

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        super().__init__(httpd)


class GatedServer(ServerThread):
    """Answers 200 to every request, but only once `gate` is set (or after `hold` seconds): an
    endpoint that hangs for as long as a test needs it to."""

    def __init__(self, hold: float = 30.0):
        import threading

        self.gate = threading.Event()
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                owner.gate.wait(hold)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        super().__init__(httpd)

    def __exit__(self, *exc):
        self.gate.set()
        return super().__exit__(*exc)
