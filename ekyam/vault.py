"""The credentials vault: Fernet encryption at rest with rotatable keys.

`EKYAM_CREDENTIAL_KEYS` lists keys newest first. The newest encrypts; every key decrypts, so a new
key can be put in front and `manage.py rotate_credentials` re-encrypts everything with it.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
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


def rotate_all() -> dict[str, int]:
    """Re-encrypt every encrypted column of every model with the newest key (`manage.py rotate_credentials`).

    A model takes part by naming its columns in `ENCRYPTED_FIELDS`, so a new secret column is rotated
    without this function knowing its app. Rows are locked one at a time, so a concurrent edit is never lost.
    """
    from django.db import transaction

    counts: dict[str, int] = {}
    for model in apps.get_models():
        fields = tuple(getattr(model, "ENCRYPTED_FIELDS", ()))
        if not fields:
            continue
        count = 0
        for pk in model._default_manager.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = model._default_manager.select_for_update().filter(pk=pk).values(*fields).first()
                if row is None:
                    continue
                rotated = {name: rotate(row[name]) for name in fields}
                if rotated != row:
                    model._default_manager.filter(pk=pk).update(**rotated)
                    count += 1
        counts[str(model._meta.verbose_name_plural)] = count
    return counts


def mask(value: str | None) -> str:
    """What a page may show of a secret: bullets and at most the last 4 characters."""
    if not value:
        return ""
    return "••••" + (value[-4:] if len(value) >= 12 else "")
