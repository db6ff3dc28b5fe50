"""The message list updates live: when messages are stored or attempts recorded, the organization's portal
group hears "messages changed" and the page fetches its list again.

Delivery processes record thousands of attempts a second, so a process tells each organization at most
once a second (`THROTTLE_SECONDS`); the page fetches again a moment after each notice, which picks up
what changed during the quiet second. Live updates are best effort: they never fail what changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

MESSAGE_TYPE = "messages.changed"
THROTTLE_SECONDS = 1.0
_last_sent: dict[int, float] = {}
_lock = threading.Lock()


def group_name(organization_id: int) -> str:
    return f"webhook-messages-{organization_id}"


def notify_on_commit(organization_ids: Iterable[int]) -> None:
    ids = set(organization_ids)
    if ids:
        transaction.on_commit(lambda: notify_now(ids))


def notify_now(organization_ids: Iterable[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    now = time.monotonic()
    due = []
    with _lock:
        for organization_id in set(organization_ids):
            if now - _last_sent.get(organization_id, float("-inf")) >= THROTTLE_SECONDS:
                _last_sent[organization_id] = now
                due.append(organization_id)
    for organization_id in due:
        try:
            async_to_sync(layer.group_send)(group_name(organization_id), {"type": MESSAGE_TYPE})
        except Exception:
            log.warning("Could not tell organization %s its messages changed", organization_id, exc_info=True)
