"""API-key authentication: `Authorization: Bearer eky_…` (or `X-Api-Key: eky_…`)."""

from __future__ import annotations

import hmac

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from ekyam.models import API_KEY_PREFIX, ApiKey, hash_api_key

# Recording every use would make each request a write; a minute of precision is enough.
LAST_USED_PRECISION_SECONDS = 60


class ApiKeyUser(AnonymousUser):
    """The principal of an API-key request: authenticated, but not a person."""

    def __init__(self, api_key: ApiKey):
        super().__init__()
        self.api_key = api_key
        self.username = f"api-key:{api_key.prefix}"

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def __str__(self):
        return self.username


def _extract_key(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.META.get("HTTP_X_API_KEY")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = _extract_key(request)
        if raw is None:
            return None
        if not raw.startswith(API_KEY_PREFIX) or raw.count("_") < 2:
            raise exceptions.AuthenticationFailed("Malformed API key.", code="invalid_api_key")
        prefix = raw[: raw.index("_", len(API_KEY_PREFIX))]
        key = ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
            raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.", code="revoked_api_key")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_PRECISION_SECONDS:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        # Make the organization and role visible to everything downstream, as the session
        # middleware does for browser users.
        request._request.organization = key.organization
        request._request.role = key.role
        return ApiKeyUser(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="ekyam"'
