"""The NetSuite HTTP client: signs every attempt, bounds concurrency, translates NetSuite's errors.

Retries are the hardened client's one policy (`ekyam.http.HttpClient.request`); this client hands it
per-attempt hooks: every attempt needs a fresh OAuth nonce and timestamp (replaying the same signed
request would be refused as a reused nonce), and each attempt holds one of the connection's
concurrency slots only while the request is in flight, never while backing off.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from urllib.parse import quote, urlencode, urlsplit

from connectors.base import AuthError, ConnectorError, PermanentError, TransientError, ValidationError
from connectors.netsuite import oauth2, tba
from connectors.netsuite.errors import error_from_response
from ekyam.http import ConnectionError as HttpConnectionError
from ekyam.http import HttpClient, UnsafeDestination
from ekyam.http import Timeout as HttpTimeout

log = logging.getLogger(__name__)


def host_for_account(account_id: str) -> str:
    """`123456_SB1` → `123456-sb1.suitetalk.api.netsuite.com` (the realm keeps the `_SB1` form)."""
    return f"{account_id.strip().lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def realm_for_account(account_id: str) -> str:
    return account_id.strip().upper().replace("-", "_")


class NetSuiteClient:
    def __init__(
        self,
        credentials: dict[str, str],
        *,
        http: HttpClient | None = None,
        limiter=None,
        credentials_verified: bool = False,
        on_credentials_changed=None,
        sleep=time.sleep,
        clock=time.time,
    ):
        self.credentials = credentials
        self.http = http or HttpClient()
        self.limiter = limiter
        self.credentials_verified = credentials_verified
        self.on_credentials_changed = on_credentials_changed
        self.sleep = sleep
        self.clock = clock
        self.account_id = credentials.get("account_id", "").strip()
        override = (credentials.get("base_url") or "").strip().rstrip("/")
        self.base_url_overridden = bool(override)
        self.base_url = override or f"https://{host_for_account(self.account_id)}"
        self.realm = realm_for_account(self.account_id)
        self.auth_method = credentials.get("auth_method") or "tba"
        self._requests = 0
        self._count_lock = threading.Lock()
        self._token_lock = threading.Lock()

    # --- bookkeeping ---------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return self._requests

    def _count(self) -> None:
        with self._count_lock:
            self._requests += 1

    def url(self, path: str, params: dict | None = None) -> str:
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        return f"{self.base_url}{path}{query}"

    # --- authentication ------------------------------------------------------------------------
    def _authorization(self, method: str, url: str) -> str:
        if self.auth_method == "oauth2":
            return f"Bearer {self._access_token()}"
        c = self.credentials
        return tba.authorization_header(
            method,
            url,
            realm=self.realm,
            consumer_key=c.get("consumer_key", ""),
            consumer_secret=c.get("consumer_secret", ""),
            token_id=c.get("token_id", ""),
            token_secret=c.get("token_secret", ""),
            timestamp=int(self.clock()),
        )

    def _access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            c = self.credentials
            expires = float(c.get("access_token_expires_at") or 0)
            if not force and c.get("access_token") and expires - self.clock() > 60:
                return c["access_token"]
            token_url = self.url(oauth2.TOKEN_PATH)
            assertion = oauth2.client_assertion(
                client_id=c.get("client_id", ""),
                certificate_id=c.get("certificate_id", ""),
                private_key=c.get("private_key", ""),
                token_url=token_url,
                now=self.clock(),
            )
            body = self._send("POST", token_url, data=oauth2.token_request_form(assertion), authorize=False)
            updates = {
                "access_token": body["access_token"],
                "access_token_expires_at": str(int(self.clock() + float(body.get("expires_in") or 3600))),
            }
            c.update(updates)
            if self.on_credentials_changed:
                self.on_credentials_changed(updates)
            return updates["access_token"]

    # --- requests ------------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None) -> dict:
        return self._send("GET", self.url(path, params))

    def suiteql(self, query: str, *, limit: int, offset: int) -> dict:
        # `Prefer: transient` is required by SuiteQL; the query travels in the JSON body, unsigned.
        return self._send(
            "POST",
            self.url("/services/rest/query/v1/suiteql", {"limit": limit, "offset": offset}),
            json={"q": query},
            headers={"Prefer": "transient"},
        )

    def _slot(self):
        return self.limiter() if self.limiter is not None else contextlib.nullcontext()

    def _send(self, method: str, url: str, *, authorize: bool = True, headers: dict | None = None, **kw) -> dict:
        """One call under the hardened client's retry policy (at most 1 + EKYAM_HTTP_MAX_RETRIES attempts,
        5 by default): every attempt is signed afresh (a TBA nonce is used once) and holds a concurrency
        slot only while in flight; the answers NetSuite means as transient (429 CONCURRENCY_LIMIT_EXCEEDED,
        5xx, a 401 under load on verified credentials) are retried. With OAuth 2.0 a 401 gets one more call
        with a fresh access token. Worst case per call: 2 × 5 = 10 attempts."""
        base = {"Accept": "application/json", **(headers or {})}

        def prepare(attempt: int) -> dict:
            self._count()
            return {"Authorization": self._authorization(method, url)} if authorize else {}

        def judge(response) -> bool:
            if response.status_code < 400 or self._refreshable(response, authorize):
                return False
            return not self._error(response, authorize).permanent

        for refreshed in (False, True):
            try:
                response = self.http.request(
                    method, url, retry=True, headers=base, prepare=prepare, slot=self._slot, retry_if=judge, **kw
                )
            except UnsafeDestination as exc:
                raise PermanentError(str(exc), code="unreachable") from None
            except (HttpConnectionError, HttpTimeout) as exc:
                host = urlsplit(url).hostname
                raise TransientError(
                    f"Cannot reach NetSuite at {host}: {type(exc).__name__}.",
                    code="unreachable",
                    details={"host": host, "dns": "resolve" in str(exc)},
                ) from None
            if 300 <= response.status_code < 400:
                # Only a 2xx is an answer: a redirect (an SSO login page, a proxy) means the call
                # did not reach the account's REST API.
                location = response.headers.get("Location") or "no Location"
                raise PermanentError(
                    f"NetSuite answered {method} {urlsplit(url).path} with {response.status_code} "
                    f"(a redirect to {location}), not a 2xx: check the base URL and that nothing in "
                    "front of the account redirects API calls.",
                    code="unexpected_status",
                    status=response.status_code,
                )
            if response.status_code < 300:
                if response.status_code == 204 or not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError:
                    raise ValidationError(f"NetSuite answered {method} with a non-JSON body.") from None
            if not refreshed and self._refreshable(response, authorize):
                self._access_token(force=True)  # the access token may have expired early: get a new one once
                continue
            raise self._error(response, authorize)
        raise AssertionError("unreachable")  # pragma: no cover

    def _refreshable(self, response, authorize: bool) -> bool:
        return authorize and self.auth_method == "oauth2" and response.status_code == 401

    def _error(self, response, authorize: bool) -> ConnectorError:
        error = error_from_response(
            response, now=self.clock(), credentials_verified=self.credentials_verified and authorize
        )
        if not authorize and response.status_code in (400, 401):
            error = AuthError(f"NetSuite refused the OAuth 2.0 token request: {error.message}", **_kw(error))
        return error


def _kw(error: ConnectorError) -> dict:
    return {
        "code": "auth",
        "status": error.status,
        "vendor_code": error.vendor_code,
        "details": error.details,
    }
