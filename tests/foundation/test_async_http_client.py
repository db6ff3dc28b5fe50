"""AsyncHttpClient keeps every guarantee of HttpClient (mirrors test_http_client.py)."""

import asyncio

import pytest

from ekyam import http
from ekyam.http import ConnectionError, Timeout, UnsafeDestination
from ekyam.http_async import AsyncHttpClient
from tests.servers import UNSAFE_URLS, ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def client(**kw):
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    c = AsyncHttpClient(sleep=sleep, **kw)
    c.sleeps = sleeps
    return c


def call(c, method, url, **kw):
    async def go():
        try:
            return await c.request(method, url, **kw)
        finally:
            await c.close()

    return asyncio.run(go())


def test_read_timeout_raises_after_retries(server):
    server.script = [(200, {}, b"late", 1.5)] * 2
    c = client(read_timeout=0.3, max_retries=1)
    with pytest.raises(Timeout):
        call(c, "GET", server.url + "/slow")
    assert len(server.requests) == 2 and len(c.sleeps) == 1


def test_connection_failure_is_a_connection_error(settings):
    from ekyam import embedded

    port = embedded.free_port()  # nothing listens there
    with pytest.raises(ConnectionError) as info:
        call(client(max_retries=0), "GET", f"http://127.0.0.1:{port}/")
    assert not isinstance(info.value, UnsafeDestination)


def test_retries_5xx_then_succeeds(server):
    server.script = [(503, {}, b"down", 0), (502, {}, b"down", 0), (200, {}, b"fine", 0)]
    c = client(max_retries=3)
    response = call(c, "GET", server.url + "/flaky")
    assert response.status_code == 200 and response.content == b"fine"
    assert len(server.requests) == 3 and len(c.sleeps) == 2


def test_honours_retry_after_on_429(server):
    server.script = [(429, {"Retry-After": "7"}, b"slow down", 0), (200, {}, b"ok", 0)]
    c = client(max_retries=2, backoff_max=60)
    assert call(c, "GET", server.url).status_code == 200
    assert c.sleeps == [7.0]


def test_returns_final_error_response_when_retries_run_out(server):
    server.script = [(500, {}, b"x", 0)] * 3
    response = call(client(max_retries=2), "GET", server.url)
    assert response.status_code == 500 and len(server.requests) == 3


def test_post_is_not_retried_unless_asked(server):
    server.script = [(503, {}, b"x", 0), (200, {}, b"ok", 0)]
    assert call(client(max_retries=3), "POST", server.url, json={"a": 1}).status_code == 503
    assert len(server.requests) == 1
    server.script = [(503, {}, b"x", 0), (200, {}, b"ok", 0)]
    assert call(client(max_retries=3), "POST", server.url, json={"a": 1}, retry=True).status_code == 200


def test_does_not_follow_redirects_by_default(server):
    server.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data"}, b"", 0)]
    response = call(client(), "GET", server.url)
    assert response.status_code == 302 and len(server.requests) == 1


def test_body_is_read_up_to_the_limit(server):
    server.script = [(200, {}, b"x" * 100, 0)]
    response = call(client(), "GET", server.url, max_body=10)
    assert response.content == b"x" * 10 and response.truncated


def test_loopback_refused_without_allow_list(server, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination, match="127.0.0.1"):
        call(client(), "GET", server.url)
    assert server.requests == []


def test_hostnames_resolving_to_loopback_are_refused(server, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination, match="localhost"):
        call(client(max_retries=0), "GET", server.url.replace("127.0.0.1", "localhost"))
    assert server.requests == []


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_private_link_local_and_odd_schemes_refused(url, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination):
        call(client(), "GET", url)


def test_connected_peer_is_checked_too(server, settings, monkeypatch):
    # Simulate DNS rebinding: the pre-connect check passes, the connection lands on loopback. The
    # open-socket check sees the address libcurl actually connects to and refuses it.
    settings.HTTP_ALLOWED_NETWORKS = []
    monkeypatch.setattr(http, "check_addresses", lambda host, addresses: None)
    with pytest.raises(UnsafeDestination, match="blocked address 127.0.0.1"):
        call(client(max_retries=0), "GET", server.url)
    assert server.requests == []


def test_logs_metadata_but_not_secrets(server, caplog):
    caplog.set_level("INFO", logger="ekyam.http")
    call(client(), "GET", server.url + "/path?token=supersecret", headers={"Authorization": "Bearer hunter2"})
    text = caplog.text
    assert "/path" in text and "200" in text
    assert "supersecret" not in text and "hunter2" not in text


def test_redirects_followed_when_asked_are_guarded_at_every_hop(server, settings):
    settings.HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    port = server.url.rsplit(":", 1)[1]
    server.script = [(302, {"Location": f"{server.url}/next"}, b"", 0), (200, {}, b"there", 0)]
    response = call(client(), "GET", server.url + "/first", allow_redirects=True)
    assert response.status_code == 200 and response.content == b"there"
    assert response.url.endswith("/next") and [r["path"] for r in server.requests] == ["/first", "/next"]
    # A hop to another loopback address (not allowed) is refused before any byte is sent there.
    server.script = [(302, {"Location": f"http://127.0.0.2:{port}/meta"}, b"", 0)]
    with pytest.raises(UnsafeDestination, match="127.0.0.2"):
        call(client(max_retries=0), "GET", server.url, allow_redirects=True)


def test_bodies_headers_and_content_types(server):
    async def go():
        # One client, so its reused libcurl handles switch between kinds of request.
        c = client(pool_size=1)
        try:
            await c.post(server.url, json={"a": 1}, headers={"X-Custom": "yes"})
            await c.post(server.url, data=b"\x00raw")
            await c.put(server.url, data="text")
            await c.get(server.url)
            await c.delete(server.url)
            await c.post(server.url)
            await c.request("GET", server.url, json={"q": 1})
        finally:
            await c.close()

    asyncio.run(go())
    first, second, third, fourth, fifth, sixth, seventh = server.requests
    assert first["body"] == b'{"a": 1}' and first["headers"]["Content-Type"] == "application/json"
    assert first["headers"]["X-Custom"] == "yes" and first["headers"]["User-Agent"].startswith("Ekyam/")
    assert "Expect" not in first["headers"]
    assert second["body"] == b"\x00raw" and second["headers"]["Content-Type"] == "application/octet-stream"
    assert "X-Custom" not in second["headers"]
    assert third["method"] == "PUT" and third["body"] == b"text"
    assert fourth["method"] == "GET" and fourth["body"] == b""
    assert fifth["method"] == "DELETE" and fifth["body"] == b""
    assert sixth["method"] == "POST" and sixth["headers"]["Content-Length"] == "0"
    assert seventh["method"] == "GET" and seventh["body"] == b'{"q": 1}'


def test_header_values_with_line_breaks_are_refused(server):
    with pytest.raises(ValueError, match="line break"):
        call(client(), "POST", server.url, data=b"x", headers={"X-Evil": "a\r\nInjected: 1"})
    assert server.requests == []


def test_response_headers_are_case_insensitive(server):
    server.script = [(429, {"Retry-After": "3", "X-Trace": "abc"}, b"", 0)]
    response = call(client(max_retries=0), "GET", server.url)
    assert response.headers["retry-after"] == "3" and response.headers.get("X-TRACE") == "abc"


def test_proxy_settings_in_the_environment_are_ignored(server, monkeypatch):
    from ekyam import embedded

    dead = f"http://127.0.0.1:{embedded.free_port()}"
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    assert call(client(max_retries=0), "GET", server.url).status_code == 200


def test_many_concurrent_requests_and_a_cancelled_one(server):
    server.script = [(200, {}, b"slow", 2.0)]

    async def go():
        c = client(pool_size=4)
        try:
            slow = asyncio.ensure_future(c.get(server.url + "/slow"))
            await asyncio.sleep(0.2)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            return await asyncio.gather(*(c.get(f"{server.url}/{i}") for i in range(40)))
        finally:
            await c.close()

    responses = asyncio.run(go())
    assert [r.status_code for r in responses] == [200] * 40
    assert {r["path"] for r in server.requests} >= {f"/{i}" for i in range(40)}


def test_tls_certificates_are_verified(tmp_path):
    """An https endpoint with a certificate no trusted authority signed is refused (libcurl's
    verification is on, against certifi's bundle)."""
    import datetime
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    served = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConnectionError, match="(?i)certificate"):
            call(client(max_retries=0), "GET", f"https://127.0.0.1:{httpd.server_address[1]}/secret")
        assert served == []
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_works_through_the_event_loops_own_watchers_where_there_is_no_epoll(server, monkeypatch):
    from ekyam import http_async

    monkeypatch.setattr(http_async, "_EpollWatcher", http_async._LoopWatcher)  # as on macOS or Windows

    async def go():
        c = client(pool_size=4)
        try:
            return await asyncio.gather(*(c.post(f"{server.url}/{i}", data=b"x") for i in range(20)))
        finally:
            await c.close()

    assert [r.status_code for r in asyncio.run(go())] == [200] * 20
    assert len(server.requests) == 20
