"""Revoking live access: when a membership is removed or a user deactivated, every WebSocket that user
holds is told (on commit) to re-check its access, and closes when it is gone.

Consumers join `user_group(user.pk)` and handle the `access.revoked` message; the signal handlers
below cover every path that removes access (API, pages, admin, shell), so no caller can forget.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

MESSAGE_TYPE = "access.revoked"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def revoke_on_commit(user_id: int) -> None:
    transaction.on_commit(lambda: _send(user_id))


def _send(user_id: int) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": MESSAGE_TYPE})


def membership_removed(sender, instance, **kwargs) -> None:
    revoke_on_commit(instance.user_id)


def user_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if not created and not instance.is_active:
        revoke_on_commit(instance.pk)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from ekyam.models import Membership

    post_delete.connect(membership_removed, sender=Membership, dispatch_uid="ekyam.access.membership")
    post_save.connect(user_saved, sender=get_user_model(), dispatch_uid="ekyam.access.user")
