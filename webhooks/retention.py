"""Retention: delivered messages and their attempts after N days, the outbox once published.
Dead letters stay until replayed or deleted, so a message with an open dead letter is kept."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from webhooks import conf
from webhooks.models import DeadLetter, Delivery, Message, OutboxEvent


def _prune_in_batches(queryset, batch: int, max_batches: int) -> int:
    total = 0
    for _ in range(max_batches):
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        deleted, _ = queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)
    return total


def prune_messages(now=None, max_batches: int = 100) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.get("WEBHOOK_RETENTION_DAYS"))
    unfinished = Delivery.objects.filter(message=OuterRef("pk")).exclude(status=Delivery.Status.SUCCEEDED)
    open_dead = DeadLetter.objects.filter(
        delivery__message=OuterRef("pk"), status__in=[DeadLetter.Status.DEAD, DeadLetter.Status.REPLAYING]
    )
    queryset = Message.objects.filter(created_at__lt=cutoff).exclude(Exists(unfinished)).exclude(Exists(open_dead))
    return _prune_in_batches(queryset.order_by("pk"), conf.get("WEBHOOK_RETENTION_BATCH"), max_batches)


def prune_outbox(now=None, max_batches: int = 100) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=conf.get("WEBHOOK_OUTBOX_RETENTION_HOURS"))
    queryset = OutboxEvent.objects.filter(published_at__isnull=False, published_at__lt=cutoff).order_by("pk")
    return _prune_in_batches(queryset, conf.get("WEBHOOK_RETENTION_BATCH"), max_batches)
