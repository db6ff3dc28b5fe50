"""One logging filter that takes secrets out of every log line, whoever writes it.

Installed on the console handler (so it sees django.request, uvicorn's access log, the HTTP clients
and everything else), it rewrites each record's message and its URL-ish extras:
- the token in `/hooks/<vendor>/<token>/` (inbound vendor webhooks);
- userinfo in URLs (`https://user:password@host/` → `https://[redacted]@host/`);
- Slack incoming-webhook paths (`hooks.slack.com/services/T…/B…/…`);
- known secret shapes: Ekyam API keys (`eky_…_…`), webhook signing secrets (`whsec_…`), Shopify tokens
  (`shpat_`, `shpss_`, `shpca_`, `shppa_`), Slack tokens (`xox?-…`), `Bearer …` credentials, and
  `token=`, `secret=`, `password=`, `signature=`, `key=` query or form values.
`redact()` is the same rule for code that builds a string itself (the HTTP client's logged URL).
"""

from __future__ import annotations

import logging
import re

MARK = "[redacted]"

_RULES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"(/hooks/[\w-]+/)[^/\s?#\"']+"), rf"\1{MARK}"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@\"']+@", re.I), rf"\1{MARK}@"),
    (re.compile(r"(hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/)[^\s\"'?#]+", re.I), rf"\1{MARK}"),
    (re.compile(r"\beky_[0-9a-f]+_[\w-]+"), f"eky_{MARK}"),
    (re.compile(r"\bwhsec_[\w+/=-]+"), f"whsec_{MARK}"),
    (re.compile(r"\b(shp(?:at|ss|ca|pa))_[0-9a-fA-F]+"), rf"\1_{MARK}"),
    (re.compile(r"\bxox[abprs]-[\w-]+"), f"xox-{MARK}"),
    (re.compile(r"\b(Bearer|Basic)\s+[\w.~+/=-]+", re.I), rf"\1 {MARK}"),
    (re.compile(r"([?&;](?:[\w-]*(?:token|secret|password|passwd|signature|sig|key|code))=)[^&\s\"'#]+", re.I),
     rf"\1{MARK}"),
)  # fmt: skip

# `extra` attributes some loggers attach (the HTTP clients' structured fields, Django's request).
_URL_ATTRIBUTES = ("http_url", "url", "path", "request_line")


def redact(text: str) -> str:
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a broken format string: the handler reports it
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        for name in _URL_ATTRIBUTES:
            value = record.__dict__.get(name)
            if isinstance(value, str):
                record.__dict__[name] = redact(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
