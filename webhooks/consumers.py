"""`ws/developers/messages/`: members of an organization hear when its webhook messages change.

The notice carries no data (the page fetches its list through the ordinary, scoped view), so the socket
reveals nothing a member could not read anyway; the socket closes (4403) when the membership goes.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from ekyam.access import user_group
from ekyam.sockets import CLOSE_ACCESS_REVOKED, SignedInConsumer, current_membership
from webhooks.live import group_name


def _organization_id(user, session) -> int | None:
    membership = current_membership(user, session)
    return membership.organization_id if membership else None


class MessageListConsumer(SignedInConsumer):
    async def connect_user(self, user):
        organization_id = await database_sync_to_async(_organization_id)(user, self.scope.get("session"))
        if organization_id is None:
            await self.close(code=CLOSE_ACCESS_REVOKED)
            return
        self.organization_id = organization_id
        self.groups_joined = [group_name(organization_id), user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def messages_changed(self, event):
        await self.send_json({"type": "changed"})

    async def access_revoked(self, event):
        still = await database_sync_to_async(_organization_id)(self.scope["user"], self.scope.get("session"))
        if still != self.organization_id:
            await self.close(code=CLOSE_ACCESS_REVOKED)
