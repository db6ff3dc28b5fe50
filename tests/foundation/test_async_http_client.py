"""AsyncHttpClient keeps every guarantee of HttpClient (mirrors test_http_client.py)."""

import asyncio

import pytest

from ekyam import http
from ekyam.http import AsyncHttpClient, ConnectionError, Timeout, UnsafeDestination
from tests.servers import ScriptedServer


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


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/",
        "http://192.168.0.1/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_private_link_local_and_odd_schemes_refused(url, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination):
        call(client(), "GET", url)


def test_connected_peer_is_checked_too(server, settings, monkeypatch):
    # Simulate DNS rebinding: the resolve-time check passes, the connection lands on loopback.
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
