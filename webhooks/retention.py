"""Retention: delivered messages and their attempts after N days (the outbox's is in `ekyam.events.retention`).
Dead letters stay until replayed or deleted, so a message with an open dead letter is kept."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from ekyam.db import delete_in_batches
from webhooks import conf
from webhooks.models import DeadLetter, Delivery, Message


def prune_messages(now=None, max_batches: int = 100) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.get("WEBHOOK_RETENTION_DAYS"))
    unfinished = Delivery.objects.filter(message=OuterRef("pk")).exclude(status=Delivery.Status.SUCCEEDED)
    open_dead = DeadLetter.objects.filter(
        delivery__message=OuterRef("pk"), status__in=[DeadLetter.Status.DEAD, DeadLetter.Status.REPLAYING]
    )
    queryset = Message.objects.filter(created_at__lt=cutoff).exclude(Exists(unfinished)).exclude(Exists(open_dead))
    return delete_in_batches(queryset.order_by("pk"), conf.get("WEBHOOK_RETENTION_BATCH"), max_batches)
