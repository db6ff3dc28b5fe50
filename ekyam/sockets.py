"""What every WebSocket consumer of the portal shares: signed-in users only, and the membership a socket's
user acts in now (re-read on every check, so a removed membership or a deactivated user closes the socket)."""

from __future__ import annotations

from types import SimpleNamespace

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from ekyam.tenancy import resolve_membership

CLOSE_UNAUTHENTICATED = 4401
CLOSE_ACCESS_REVOKED = 4403


def current_membership(user, session):
    """The membership the user acts in (the session's organization), from the current user row; None when the
    user is gone or deactivated, or belongs nowhere."""
    user = get_user_model()._default_manager.filter(pk=user.pk, is_active=True).first()
    if user is None:
        return None
    return resolve_membership(SimpleNamespace(user=user, session=session or {}))


class SignedInConsumer(AsyncJsonWebsocketConsumer):
    """A socket for signed-in users: anyone else is closed (4401) before `connect_user` runs."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.connect_user(user)

    async def connect_user(self, user):
        raise NotImplementedError
