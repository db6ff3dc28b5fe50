"""The Whiplash sandbox's OAuth 2.0 token endpoint: client credentials, authorization code and rotating
refresh tokens; access tokens expire after the `token_ttl` knob."""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import parse_qs

from connectors.sandbox import Request, Response
from connectors.whiplash.sandbox.data import AUTHORIZATION_CODE, CLIENT_ID, CLIENT_SECRET


class WhiplashOAuth:
    """`POST /oauth/token` and the tokens it issues."""

    def token(self, request: Request) -> Response:
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type:
            form = request.json() or {}
        else:
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("client_id") != CLIENT_ID or not hmac.compare_digest(
            str(form.get("client_secret", "")), CLIENT_SECRET
        ):
            return Response.json(
                {"error": "invalid_client", "error_description": "Client authentication failed (unknown client)."},
                401,
            )
        grant = form.get("grant_type")
        with self.lock:
            if grant == "client_credentials":
                return Response.json(self._issue(with_refresh=False, scope=form.get("scope") or "app_manage"))
            if grant == "authorization_code":
                if form.get("code") != AUTHORIZATION_CODE:
                    return self._invalid_grant("The authorization code is invalid.")
                return Response.json(self._issue(with_refresh=True, scope=form.get("scope") or "user_manage"))
            if grant == "refresh_token":
                presented = form.get("refresh_token", "")
                if presented not in self.refresh_tokens:
                    self.counters["rejected_refreshes"] += 1
                    return self._invalid_grant("The refresh token is invalid, expired or was already used.")
                self.refresh_tokens.discard(presented)  # rotation: a refresh token works once
                self.counters["refreshes"] += 1
                return Response.json(self._issue(with_refresh=True, scope="user_manage"))
        return Response.json(
            {"error": "unsupported_grant_type", "error_description": f"Unsupported grant type {grant!r}."}, 400
        )

    @staticmethod
    def _invalid_grant(description: str) -> Response:
        return Response.json({"error": "invalid_grant", "error_description": description}, 400)

    def _issue(self, *, with_refresh: bool, scope: str) -> dict:
        access = "wl-at-" + secrets.token_hex(16)
        self.access_tokens[access] = time.time() + float(self.token_ttl)
        self.counters["tokens_issued"] += 1
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.token_ttl),
            "scope": scope,
            "created_at": int(time.time()),
        }
        if with_refresh:
            refresh = "wl-rt-" + secrets.token_hex(16)
            self.refresh_tokens.add(refresh)
            body["refresh_token"] = refresh
        return body

    def issue_refresh_token(self) -> str:
        """A refresh token as the authorization-code flow in a browser would have produced (tests, demo)."""
        with self.lock:
            return self._issue(with_refresh=True, scope="user_manage")["refresh_token"]
