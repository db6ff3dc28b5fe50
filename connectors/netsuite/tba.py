"""Token-based authentication (OAuth 1.0a, RFC 5849) as NetSuite requires it: HMAC-SHA256 signatures.

Standard library only: the sandbox verifies with the same base-string rules the client signs with,
and the tests check both against the worked example in the vendor notes and against oauthlib.

Rules that trip people up (vendor-apis.md §1.7):
- the realm (account id, upper case `123456_SB1`) goes in the header but never in the base string;
- every query-string parameter is signed (decoded first, then RFC 3986-encoded); a JSON body never is;
- the base URI is the URL without its query, scheme and host lower-cased, default ports dropped;
- the signature is percent-encoded inside the header (an unescaped `+`, `/` or `=` is rejected).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
import time
from urllib.parse import parse_qsl, quote, unquote, urlsplit

SIGNATURE_METHOD = "HMAC-SHA256"
NONCE_ALPHABET = string.ascii_letters + string.digits


def pct(value: str) -> str:
    """RFC 3986 percent-encoding: only unreserved characters stay as they are (space is %20, ~ stays)."""
    return quote(str(value), safe="~")


def base_uri(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def normalized_parameters(params: list[tuple[str, str]]) -> str:
    encoded = sorted((pct(k), pct(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def base_string(method: str, url: str, oauth_params: dict[str, str]) -> str:
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    params = [(k, v) for k, v in oauth_params.items() if k not in ("oauth_signature", "realm")] + query
    return "&".join([method.upper(), pct(base_uri(url)), pct(normalized_parameters(params))])


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{pct(consumer_secret)}&{pct(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


def new_nonce(length: int = 20) -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))


def authorization_header(
    method: str,
    url: str,
    *,
    realm: str,
    consumer_key: str,
    consumer_secret: str,
    token_id: str,
    token_secret: str,
    timestamp: int | str | None = None,
    nonce: str | None = None,
) -> str:
    """The `Authorization: OAuth …` value for one request (a fresh nonce and timestamp every call)."""
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_token": token_id,
        "oauth_signature_method": SIGNATURE_METHOD,
        "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "oauth_nonce": nonce or new_nonce(),
        "oauth_version": "1.0",
    }
    signature = sign(base_string(method, url, oauth), consumer_secret, token_secret)
    fields = [("realm", realm), *oauth.items(), ("oauth_signature", signature)]
    return "OAuth " + ",".join(f'{name}="{pct(value)}"' for name, value in fields)


_PARAM = re.compile(r'([A-Za-z_]+)\s*=\s*"([^"]*)"')


def parse_authorization(header: str) -> dict[str, str]:
    """`OAuth realm="…", oauth_…="…"` → decoded parameters (for the sandbox's verifier)."""
    if not header.lower().startswith("oauth "):
        return {}
    return {name: unquote(value) for name, value in _PARAM.findall(header[6:])}
