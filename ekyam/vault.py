"""The credentials vault: Fernet encryption at rest with rotatable keys.

`EKYAM_CREDENTIAL_KEYS` lists keys newest first. The newest encrypts; every key decrypts, so a new
key can be put in front and `manage.py rotate_credentials` re-encrypts everything with it.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"EKYAM_CREDENTIAL_KEYS holds an invalid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIAL_KEYS))


def encrypt_json(data: dict) -> str:
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted with any key in EKYAM_CREDENTIAL_KEYS "
            "(was a key removed before `manage.py rotate_credentials` ran?)."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key."""
    return fernet().rotate(token.encode()).decode() if token else token


def mask(value: str | None) -> str:
    """What a page may show of a secret: bullets and at most the last 4 characters."""
    if not value:
        return ""
    return "••••" + (value[-4:] if len(value) >= 12 else "")
