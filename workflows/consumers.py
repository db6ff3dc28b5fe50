"""Live status over WebSockets: `ws/workflows/<id>/` streams a workflow's status and run progress.

Only authenticated members of the workflow's organization may subscribe; another organization's
workflow id is refused exactly like a missing one (close code 4404), so ids reveal nothing.
"""

from __future__ import annotations

from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ekyam.tenancy import resolve_membership, scoped
from workflows.live import group_name
from workflows.models import Workflow
from workflows.status import snapshot

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


def _workflow_snapshot_for(user, session, workflow_id: int) -> dict | None:
    membership = resolve_membership(SimpleNamespace(user=user, session=session or {}))
    if membership is None:
        return None
    workflow = scoped(Workflow, membership.organization).filter(pk=workflow_id).first()
    return snapshot(workflow) if workflow else None


class WorkflowStatusConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        workflow_id = int(self.scope["url_route"]["kwargs"]["workflow_id"])
        data = await database_sync_to_async(_workflow_snapshot_for)(user, self.scope.get("session"), workflow_id)
        if data is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = group_name(workflow_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "status", "data": data})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients may ask for a fresh snapshot (after a reconnect, for instance)."""
        if content.get("type") == "refresh":
            data = await database_sync_to_async(_workflow_snapshot_for)(
                self.scope["user"], self.scope.get("session"), int(self.scope["url_route"]["kwargs"]["workflow_id"])
            )
            if data is not None:
                await self.send_json({"type": "status", "data": data})

    async def workflow_update(self, event):
        await self.send_json({"type": "status", "data": event["data"]})
