"""Live status over WebSockets: `ws/workflows/<id>/` streams a workflow's status and run progress.

Only authenticated members of the workflow's organization may subscribe; another organization's
workflow id is refused exactly like a missing one (close code 4404), so ids reveal nothing. When the
user's membership is removed or the user is deactivated, the socket closes (4403): `ekyam.access`
tells every socket of that user to re-check.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from ekyam.access import user_group
from ekyam.sockets import CLOSE_ACCESS_REVOKED, SignedInConsumer, current_membership
from ekyam.tenancy import scoped
from workflows.live import group_name
from workflows.models import Workflow
from workflows.status import snapshot

CLOSE_NOT_FOUND = 4404


def _workflow_for(user, session, workflow_id: int) -> Workflow | None:
    membership = current_membership(user, session)
    if membership is None:
        return None
    return scoped(Workflow, membership.organization).filter(pk=workflow_id).first()


def _workflow_snapshot_for(user, session, workflow_id: int) -> dict | None:
    workflow = _workflow_for(user, session, workflow_id)
    return snapshot(workflow) if workflow else None


def _still_allowed(user, session, workflow_id: int) -> bool:
    return _workflow_for(user, session, workflow_id) is not None


class WorkflowStatusConsumer(SignedInConsumer):
    async def connect_user(self, user):
        workflow_id = int(self.scope["url_route"]["kwargs"]["workflow_id"])
        data = await database_sync_to_async(_workflow_snapshot_for)(user, self.scope.get("session"), workflow_id)
        if data is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = group_name(workflow_id)
        self.user_group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "status", "data": data})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients may ask for a fresh snapshot (after a reconnect, for instance)."""
        if content.get("type") == "refresh":
            data = await database_sync_to_async(_workflow_snapshot_for)(
                self.scope["user"], self.scope.get("session"), int(self.scope["url_route"]["kwargs"]["workflow_id"])
            )
            if data is None:
                await self.close(code=CLOSE_ACCESS_REVOKED)
                return
            await self.send_json({"type": "status", "data": data})

    async def access_revoked(self, event):
        """The user lost a membership or was deactivated: close unless access to this workflow remains."""
        allowed = await database_sync_to_async(_still_allowed)(
            self.scope["user"], self.scope.get("session"), int(self.scope["url_route"]["kwargs"]["workflow_id"])
        )
        if not allowed:
            await self.close(code=CLOSE_ACCESS_REVOKED)

    async def workflow_update(self, event):
        await self.send_json({"type": "status", "data": event["data"]})
