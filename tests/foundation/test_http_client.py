import pytest

from ekyam.http import HttpClient, Timeout, UnsafeDestination, parse_retry_after
from tests.servers import UNSAFE_URLS, ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def client(**kw):
    sleeps = []
    c = HttpClient(sleep=sleeps.append, **kw)
    c.sleeps = sleeps
    return c


def test_read_timeout_raises_after_retries(server):
    server.script = [(200, {}, b"late", 1.5)] * 2
    c = client(read_timeout=0.3, max_retries=1)
    with pytest.raises(Timeout):
        c.get(server.url + "/slow")
    assert len(server.requests) == 2


def test_retries_5xx_then_succeeds(server):
    server.script = [(503, {}, b"down", 0), (502, {}, b"down", 0), (200, {}, b"fine", 0)]
    c = client(max_retries=3)
    response = c.get(server.url + "/flaky")
    assert response.status_code == 200 and response.content == b"fine"
    assert len(server.requests) == 3 and len(c.sleeps) == 2


def test_honours_retry_after_on_429(server):
    server.script = [(429, {"Retry-After": "7"}, b"slow down", 0), (200, {}, b"ok", 0)]
    c = client(max_retries=2, backoff_max=60)
    assert c.get(server.url).status_code == 200
    assert c.sleeps == [7.0]


def test_returns_final_error_response_when_retries_run_out(server):
    server.script = [(500, {}, b"x", 0)] * 3
    response = client(max_retries=2).get(server.url)
    assert response.status_code == 500 and len(server.requests) == 3


def test_post_is_not_retried_unless_asked(server):
    server.script = [(503, {}, b"x", 0), (200, {}, b"ok", 0)]
    assert client(max_retries=3).post(server.url, json={"a": 1}).status_code == 503
    assert len(server.requests) == 1
    server.script = [(503, {}, b"x", 0), (200, {}, b"ok", 0)]
    assert client(max_retries=3).post(server.url, json={"a": 1}, retry=True).status_code == 200


def test_does_not_follow_redirects_by_default(server):
    server.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data"}, b"", 0)]
    response = client().get(server.url)
    assert response.status_code == 302 and len(server.requests) == 1


def test_loopback_refused_without_allow_list(server, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination, match="127.0.0.1"):
        client().get(server.url)
    assert server.requests == []


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_private_link_local_and_odd_schemes_refused(url, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeDestination):
        client().get(url)


def test_connected_peer_is_checked_too(server, settings, monkeypatch):
    # Simulate DNS rebinding: the pre-check sees a public address, the connection lands on loopback.
    import ekyam.http as http

    settings.HTTP_ALLOWED_NETWORKS = []
    monkeypatch.setattr(http, "check_destination", lambda url: None)
    with pytest.raises(UnsafeDestination):
        client(max_retries=0).get(server.url)
    assert server.requests == []


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_logs_metadata_but_not_secrets(server, caplog):
    caplog.set_level("INFO", logger="ekyam.http")
    client().get(server.url + "/path?token=supersecret", headers={"Authorization": "Bearer hunter2"})
    text = caplog.text
    assert "/path" in text and "200" in text
    assert "supersecret" not in text and "hunter2" not in text


# --- the one retry policy's per-attempt hooks ------------------------------------------------


def test_each_attempt_is_prepared_afresh_and_the_slot_is_held_only_in_flight(server):
    server.script = [(503, {}, b"x", 0), (429, {"Retry-After": "2"}, b"x", 0), (200, {}, b"ok", 0)]
    events = []

    class Slot:
        def __enter__(self):
            events.append("slot")

        def __exit__(self, *exc):
            events.append("free")

    c = client(max_retries=4, backoff_max=60)
    c.sleep = lambda seconds: (events.append(f"sleep {seconds:g}"), c.sleeps.append(seconds))
    response = c.get(
        server.url,
        headers={"Accept": "application/json"},
        prepare=lambda attempt: {"Authorization": f"signed-{attempt}"},
        slot=Slot,
        before_retry=lambda answer, wait: events.append(f"retry {answer.status_code}"),
    )
    assert response.status_code == 200
    assert [r["headers"]["Authorization"] for r in server.requests] == ["signed-0", "signed-1", "signed-2"]
    assert {r["headers"]["Accept"] for r in server.requests} == {"application/json"}
    assert events[:3] == ["slot", "free", "retry 503"] and events[3].startswith("sleep ")
    assert events[4:] == ["slot", "free", "retry 429", "sleep 2", "slot", "free"]  # never sleeping in a slot


def test_retry_if_judges_answers_and_may_name_the_wait(server):
    # A vendor's "throttled" answer is a 200: the caller's judge retries it after the wait it computes.
    server.script = [(200, {}, b"THROTTLED", 0), (200, {}, b"THROTTLED", 0), (200, {}, b"data", 0)]
    c = client(max_retries=4)
    response = c.post(server.url, retry=True, retry_if=lambda r: 0.25 if r.content == b"THROTTLED" else False)
    assert response.content == b"data" and c.sleeps == [0.25, 0.25]


def test_a_judged_non_idempotent_call_retries_answers_but_never_a_transport_failure(server):
    # A 429 on a create means "not processed": safe to send again. A timeout is ambiguous: never re-sent.
    server.script = [(429, {}, b"x", 0), (201, {}, b"made", 0)]
    c = client(max_retries=4)
    assert c.post(server.url, retry=False, retry_if=lambda r: r.status_code == 429).status_code == 201
    server.script = [(201, {}, b"late", 1.5)] * 3
    server.requests.clear()
    with pytest.raises(Timeout):
        client(max_retries=4, read_timeout=0.3).post(server.url, retry=False, retry_if=lambda r: r.status_code == 429)
    assert len(server.requests) == 1


def test_the_worst_case_is_one_plus_max_retries_attempts_per_call(server):
    server.script = [(429, {}, b"x", 0)] * 20
    response = client(max_retries=4).get(server.url)
    assert response.status_code == 429 and len(server.requests) == 5
