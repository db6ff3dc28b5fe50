"""The trigger consumer: Ekyam events on Kafka → targeted workflow runs (`workflows.actions.trigger_from_event`).

One subscriber of the bus's consumer loop (`ekyam.events.consumer`) in its own consumer group, so it
sees every event independently of the webhook consumer. Offsets are committed after the batch's runs
are stored; a redelivered event merges into the still-queued targeted run (or re-syncs the same
records, which the lineage ledger and idempotent writers make harmless). An event born from a vendor
webhook marks its InboundWebhook row processed in the same transaction as the runs.
"""

from __future__ import annotations

import logging
import time

from django.db import OperationalError, transaction

from connectors import inbound
from ekyam.events import consumer
from workflows.actions import trigger_from_event

log = logging.getLogger(__name__)

GROUP_ID = "ekyam-workflow-triggers"
# Tries of one event's transaction when it loses a database race (at most this many, then the event is marked).
RACE_ATTEMPTS = 3


def handle_event(event: dict) -> int:
    """One event: start the targeted runs it calls for. A failing event is logged and marked, never fatal."""
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                runs = trigger_from_event(event)
                inbound.mark_handled(event)
            return len(runs)
        except OperationalError as exc:
            # A lost race (deadlock, serialization failure, lock timeout) rolled the whole transaction back:
            # nothing was stored, so the same event is simply tried again and merges into the queued run.
            if attempt < RACE_ATTEMPTS:
                log.warning("Event %s lost a database race (%s); trying it again", event.get("event_id"), exc)
                time.sleep(0.05 * attempt)
                continue
            failure = exc
        except Exception as exc:  # noqa: BLE001 - a failing event is marked on its row, never fatal
            failure = exc
        break
    log.error("Event %s (%s) could not start its runs: %s", event.get("event_id"), event.get("type"), failure)
    inbound.mark_handled(event, error=f"The trigger consumer failed: {type(failure).__name__}: {failure}")
    return 0


def handle_batch(events: list[dict]) -> int:
    started = sum(handle_event(event) for event in events)
    if started:
        log.info("%d event(s) started %d targeted run(s)", len(events), started)
    return started


def run(stop=None, poll_timeout: float = 0.2, group_id: str = GROUP_ID) -> None:
    consumer.run("workflow trigger consumer", group_id, handle_batch, poll_timeout=poll_timeout, stop=stop)
