"""Endpoint signing secrets, encrypted at rest by the credentials vault.

Stored as {"current", "previous", "previous_until"}: after a rotation both secrets sign requests
until `previous_until`, so receivers can switch without dropping a message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from django.utils import timezone

from ekyam import vault
from webhooks import conf
from webhooks.signing import generate_secret


@lru_cache(maxsize=2048)
def _decrypt(token: str) -> dict:
    # Decrypting per delivery would cost more than signing; the token changes on every rotation.
    return vault.decrypt_json(token)


def new_secrets_token(secret: str | None = None) -> tuple[str, str]:
    secret = secret or generate_secret()
    return secret, vault.encrypt_json({"current": secret, "previous": None, "previous_until": None})


def rotated_token(token: str, new_secret: str | None = None, overlap: timedelta | None = None) -> tuple[str, str]:
    old = _decrypt(token)["current"]
    new_secret = new_secret or generate_secret()
    overlap = overlap if overlap is not None else timedelta(hours=conf.get("WEBHOOK_SECRET_OVERLAP_HOURS"))
    until = timezone.now() + overlap
    return new_secret, vault.encrypt_json({"current": new_secret, "previous": old, "previous_until": until.isoformat()})


def current_secret(token: str) -> str:
    return _decrypt(token)["current"]


def signing_secrets(token: str, now: datetime | None = None) -> list[str]:
    """The secrets that sign a request now: the current one, plus the previous during the overlap."""
    data = _decrypt(token)
    found = [data["current"]]
    until = data.get("previous_until")
    if data.get("previous") and until and (now or timezone.now()) < datetime.fromisoformat(until):
        found.append(data["previous"])
    return found
