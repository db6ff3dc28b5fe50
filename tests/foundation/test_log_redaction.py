"""Secrets never reach the log output: one filter on the console handler redacts inbound webhook path
tokens, URL passwords, Slack webhook paths and known secret shapes in every logger's lines (Django's
request warnings, uvicorn's access log, the HTTP clients)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings as django_settings

from ekyam.http import HttpClient, safe_url
from ekyam.redaction import RedactSecretsFilter, redact

TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SLACK = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/q3WxYzAbCdEfGhIjKlMnOpQr"


@pytest.fixture
def output():
    """The configured console handler's output (the filter is the handler's, as in production)."""

    def configured():
        return next(
            (h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)),
            None,
        )

    if configured() is None:  # another test (a live uvicorn) reconfigured logging: apply ours again
        logging.config.dictConfig(django_settings.LOGGING)
    handler = configured()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"POST /hooks/whiplash/{TOKEN}/ 401", TOKEN),
        ("GET http://ekyam:S3cr3t-pw!@10.0.0.5:8080/x", "S3cr3t-pw!"),
        (SLACK, "q3WxYzAbCdEfGhIjKlMnOpQr"),
        ("key eky_0a1b2c3d4e5f_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef", "AbCdEfGhIjKlMnOp"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("token shpat_0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("Authorization: Bearer abc.def.ghi-jkl", "abc.def.ghi-jkl"),
        ("GET /oauth?code=xyz123&state=1", "xyz123"),
        ("xoxb-1234-5678-abcdefabcdef", "abcdefabcdef"),
    ],
)
def test_redact_removes_each_secret_shape(text, secret):
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


@pytest.mark.django_db
def test_django_request_warnings_do_not_log_the_hook_token(client, output):
    client.post(f"/hooks/whiplash/{TOKEN}/", data=b"{}", content_type="application/json")
    logging.getLogger("django.request").warning("Not Found: %s", f"/hooks/shopify/{TOKEN}/")
    text = output.getvalue()
    assert "/hooks/shopify/[redacted]/" in text
    assert TOKEN not in text


def test_uvicorn_access_lines_are_redacted(output):
    # uvicorn's access record: (client address, method, path with query, HTTP version, status).
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:51000", "POST", f"/hooks/whiplash/{TOKEN}/", "1.1", 202
    )
    text = output.getvalue()
    assert '"POST /hooks/whiplash/[redacted]/ HTTP/1.1" 202' in text and TOKEN not in text


def test_the_http_client_logs_urls_without_passwords_or_slack_paths(output, settings):
    settings.HTTP_ALLOWED_NETWORKS = []
    for url in ("http://ekyam:S3cr3t-pw@100.64.0.1/x", SLACK):
        assert "S3cr3t-pw" not in safe_url(url) and "q3WxYz" not in safe_url(url)
    client = HttpClient(max_retries=0)
    with pytest.raises(Exception):  # noqa: B017 (refused by the guard, and logged)
        client.get("http://ekyam:S3cr3t-pw@100.64.0.1/x")
    logging.getLogger("ekyam.http").warning("posting to %s", SLACK)
    text = output.getvalue()
    assert "S3cr3t-pw" not in text and "q3WxYzAbCdEfGhIjKlMnOpQr" not in text
    assert "hooks.slack.com/services/[redacted]" in text
