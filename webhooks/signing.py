"""Standard Webhooks signatures (spec 1.0.0): HMAC-SHA256 over "{id}.{timestamp}.{body}".

Secrets are `whsec_` + base64 of random bytes; the signing key is the decoded part. During a
rotation's overlap window requests carry one `v1,` entry per secret, so a receiver that still has
the old secret and one that already has the new one both verify.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from functools import lru_cache

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=4096)
def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature entry."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.digest(_key(secret), content, "sha256")  # one-shot: OpenSSL without an HMAC object
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_in_use: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    if len(secrets_in_use) == 1:  # outside a rotation's overlap
        return sign(secrets_in_use[0], webhook_id, timestamp, body)
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets_in_use)


def webhook_headers(secrets_in_use: list[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_use, webhook_id, timestamp, body),
        "Content-Type": "application/json",
    }
