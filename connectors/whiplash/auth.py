"""Whiplash OAuth 2.0: client-credentials and refresh-token flows.

Access tokens are cached (in the instance and, through `on_credentials_changed`, in the connection's
encrypted credentials so other workers reuse them) until shortly before they expire. Refresh tokens
rotate on every use: the new one is handed to `on_credentials_changed` in the same call as the new
access token, so it is stored atomically before anything else happens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connectors.base import AuthError, TransientError
from ekyam.http import HttpClient, RequestException

# Refresh this long before the announced expiry, so a token never dies in flight.
EXPIRY_MARGIN_SECONDS = 120


class TokenManager:
    def __init__(
        self,
        credentials: dict,
        *,
        http: HttpClient,
        base_url: str,
        on_change: Callable[[dict], None] | None,
        clock: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.http = http
        self.token_url = f"{base_url}/oauth/token"
        self.on_change = on_change
        self.clock = clock
        self.lock = threading.Lock()
        self.flow = credentials.get("auth_flow") or (
            "refresh_token" if credentials.get("refresh_token") else "client_credentials"
        )
        self.access_token = credentials.get("access_token") or ""
        try:
            self.expires_at = float(credentials.get("access_token_expires_at") or 0)
        except ValueError:
            self.expires_at = 0.0

    def token(self) -> str:
        with self.lock:
            if not self.access_token or self.clock() >= self.expires_at - EXPIRY_MARGIN_SECONDS:
                self._fetch()
            return self.access_token

    def invalidate(self, rejected: str) -> None:
        """The API refused `rejected`: the next `token()` fetches a new one (once, whoever asks first)."""
        with self.lock:
            if self.access_token == rejected:
                self.access_token = ""

    def _fetch(self) -> None:
        form = {
            "client_id": self.credentials.get("client_id", ""),
            "client_secret": self.credentials.get("client_secret", ""),
        }
        if self.flow == "refresh_token":
            refresh = self.credentials.get("refresh_token")
            if not refresh:
                raise AuthError(
                    "No Whiplash refresh token is stored: connect the account again to obtain one.",
                    vendor_code="missing_refresh_token",
                )
            form.update(grant_type="refresh_token", refresh_token=refresh)
        else:
            form.update(grant_type="client_credentials", scope=self.credentials.get("scope") or "app_manage")
        try:
            # A retried refresh could spend the rotated token twice; only the client-credentials grant is retried.
            response = self.http.post(self.token_url, data=form, retry=self.flow != "refresh_token")
        except RequestException as exc:
            raise TransientError(
                f"Cannot reach the Whiplash token endpoint ({type(exc).__name__}).", code="unreachable"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(
                f"The Whiplash token endpoint answered {response.status_code}.", status=response.status_code
            )
        if response.status_code != 200 or not body.get("access_token"):
            error = body.get("error") or "error"
            description = body.get("error_description") or body.get("message") or ""
            if error == "invalid_client":
                message = "Whiplash rejected the client id or client secret (invalid_client)."
            elif error == "invalid_grant" and self.flow == "refresh_token":
                message = (
                    "Whiplash rejected the stored refresh token (invalid_grant): it was revoked or already used. "
                    "Connect the account again."
                )
            else:
                message = f"Whiplash refused to issue a token ({error}): {description}".rstrip(": ")
            raise AuthError(message, status=response.status_code, vendor_code=error)
        now = self.clock()
        self.access_token = body["access_token"]
        self.expires_at = now + float(body.get("expires_in") or 7200)
        updates = {"access_token": self.access_token, "access_token_expires_at": str(self.expires_at)}
        if body.get("refresh_token"):
            updates["refresh_token"] = body["refresh_token"]
        self.credentials.update(updates)
        if self.on_change is not None:
            # Before anyone uses the new access token: a rotated refresh token must not be lost.
            self.on_change(updates)
