"""The trigger consumer: Ekyam events on Kafka → targeted workflow runs (`workflows.actions.trigger_from_event`).

One subscriber of the bus's consumer loop (`ekyam.events.consumer`) in its own consumer group, so it
sees every event independently of the webhook consumer. Offsets are committed after the batch's runs
are stored; a redelivered event merges into the still-queued targeted run (or re-syncs the same
records, which the lineage ledger and idempotent writers make harmless). An event born from a vendor
webhook marks its InboundWebhook row processed in the same transaction as the runs.
"""

from __future__ import annotations

import logging

from django.db import transaction

from connectors import inbound
from ekyam.events import consumer
from workflows.actions import trigger_from_event

log = logging.getLogger(__name__)

GROUP_ID = "ekyam-workflow-triggers"


def handle_event(event: dict) -> int:
    """One event: start the targeted runs it calls for. A failing event is logged and marked, never fatal."""
    try:
        with transaction.atomic():
            runs = trigger_from_event(event)
            inbound.mark_handled(event)
    except Exception as exc:
        log.exception("Event %s (%s) could not start its runs", event.get("event_id"), event.get("type"))
        inbound.mark_handled(event, error=f"The trigger consumer failed: {type(exc).__name__}: {exc}")
        return 0
    return len(runs)


def handle_batch(events: list[dict]) -> int:
    started = sum(handle_event(event) for event in events)
    if started:
        log.info("%d event(s) started %d targeted run(s)", len(events), started)
    return started


def run(stop=None, poll_timeout: float = 0.2, group_id: str = GROUP_ID) -> None:
    consumer.run("workflow trigger consumer", group_id, handle_batch, poll_timeout=poll_timeout, stop=stop)
