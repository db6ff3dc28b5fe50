"""OAuth 2.0 client credentials (machine-to-machine) for NetSuite: a JWT assertion signed with the
certificate's private key (PS256), exchanged at the token endpoint for a one-hour access token."""

from __future__ import annotations

import time
import uuid

import jwt

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = ["rest_webservices"]
ASSERTION_LIFETIME = 300  # seconds; NetSuite accepts at most 60 minutes


def client_assertion(
    *, client_id: str, certificate_id: str, private_key: str, token_url: str, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    payload = {
        "iss": client_id,
        "scope": SCOPES,
        "aud": token_url,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, private_key, algorithm="PS256", headers={"kid": certificate_id, "typ": "JWT"})


def token_request_form(assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
