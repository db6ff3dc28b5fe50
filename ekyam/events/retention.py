"""Retention of the outbox: a published row is pruned once consumers have had time to read it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ekyam.db import delete_in_batches
from ekyam.events import conf
from ekyam.events.models import OutboxEvent


def prune_outbox(now=None, max_batches: int = 100) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=conf.get("OUTBOX_RETENTION_HOURS"))
    queryset = OutboxEvent.objects.filter(published_at__isnull=False, published_at__lt=cutoff).order_by("pk")
    return delete_in_batches(queryset, conf.get("OUTBOX_RETENTION_BATCH"), max_batches)
