"""Live status: after a commit, the workflow's derived status and run progress go to its Channels group."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

MESSAGE_TYPE = "workflow.update"


def group_name(workflow_id: int) -> str:
    return f"workflow-{workflow_id}"


def push_on_commit(workflow_id: int) -> None:
    """Queue a push for when the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: push_now(workflow_id))


def push_now(workflow_id: int) -> None:
    from workflows.models import Workflow
    from workflows.status import snapshot

    layer = get_channel_layer()
    if layer is None:
        return
    workflow = Workflow.objects.filter(pk=workflow_id).first()
    if workflow is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(workflow_id), {"type": MESSAGE_TYPE, "data": snapshot(workflow)})
    except Exception:  # live status is best effort; it must never fail the run that changed
        log.warning("Could not push live status of workflow %s", workflow_id, exc_info=True)
