"""Whiplash OAuth 2.0: client-credentials and refresh-token flows.

Access tokens are cached (in the instance and, through `on_credentials_changed`, in the connection's
encrypted credentials so other workers reuse them) until shortly before they expire. Refresh tokens
rotate on every use: the new one is handed to `on_credentials_changed` in the same call as the new
access token, so it is stored atomically before anything else happens.

Two workers that find the token expired at once must not both spend the same refresh token (the second
would get invalid_grant). So a fetch runs under the connection's credentials lock (shared by every
process, see `Connector.credentials_lock`) and first re-reads the stored credentials: when another
worker has refreshed meanwhile, its access token (and rotated refresh token) is adopted instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext

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
        credentials_lock: Callable[[], AbstractContextManager] | None = None,
        reload_credentials: Callable[[], dict] | None = None,
    ):
        self.credentials = credentials
        self.http = http
        self.token_url = f"{base_url}/oauth/token"
        self.on_change = on_change
        self.clock = clock
        self.lock = threading.Lock()  # this instance's threads; `credentials_lock` is every process's
        self.credentials_lock = nullcontext
        self.reload_credentials: Callable[[], dict] = lambda: dict(self.credentials)
        self.coordinate(credentials_lock=credentials_lock, reload_credentials=reload_credentials)
        self.rejected = ""  # the access token the API refused last: never adopted again from storage
        self.flow = credentials.get("auth_flow") or (
            "refresh_token" if credentials.get("refresh_token") else "client_credentials"
        )
        self.access_token = credentials.get("access_token") or ""
        try:
            self.expires_at = float(credentials.get("access_token_expires_at") or 0)
        except ValueError:
            self.expires_at = 0.0

    def coordinate(self, *, credentials_lock=None, reload_credentials=None) -> None:
        """Share token fetches with other processes: fetch under `credentials_lock()` after re-reading
        the stored credentials with `reload_credentials()` (None keeps the process-local defaults)."""
        if credentials_lock is not None:
            self.credentials_lock = credentials_lock
        if reload_credentials is not None:
            self.reload_credentials = reload_credentials

    def token(self) -> str:
        with self.lock:
            if not self._usable(self.access_token, self.expires_at):
                with ExitStack() as held:
                    try:
                        held.enter_context(self.credentials_lock())
                    except TimeoutError:
                        raise TransientError(
                            "Another worker is still refreshing this Whiplash connection's token; try again shortly.",
                            code="token_refresh_busy",
                        ) from None
                    if not self._adopt_stored():
                        self._fetch()
            return self.access_token

    def invalidate(self, rejected: str) -> None:
        """The API refused `rejected`: the next `token()` fetches a new one (once, whoever asks first)."""
        with self.lock:
            self.rejected = rejected
            if self.access_token == rejected:
                self.access_token = ""

    def _usable(self, token: str, expires_at: float) -> bool:
        return bool(token) and token != self.rejected and self.clock() < expires_at - EXPIRY_MARGIN_SECONDS

    def _adopt_stored(self) -> bool:
        """Take the newest stored tokens (under the credentials lock). True when the stored access token
        is usable — another worker refreshed it — so no fetch is needed."""
        stored = self.reload_credentials() or {}
        if stored.get("refresh_token"):
            # Always the newest: the one we hold may have been spent by another worker's refresh.
            self.credentials["refresh_token"] = stored["refresh_token"]
        token = stored.get("access_token") or ""
        try:
            expires_at = float(stored.get("access_token_expires_at") or 0)
        except ValueError:
            expires_at = 0.0
        if not self._usable(token, expires_at):
            return False
        self.access_token, self.expires_at = token, expires_at
        self.credentials.update(access_token=token, access_token_expires_at=stored.get("access_token_expires_at"))
        return True

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
