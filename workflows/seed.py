"""Demo data for `make run`: the seed's flows over the sandbox connections `connectors/seed.py` created.

The flows are enabled with a 1-minute schedule and real-time triggers, and their schedules are made due
at once, so a newcomer sees them run within seconds of the portal starting (Beat fires them as soon as it
starts; a run that begins before the sandboxes answer retries its transient failures within the run).
Idempotent: a flow that exists (by name) is left as it is.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from connectors.models import Connection
from workflows import actions
from workflows.blueprints import get_blueprint
from workflows.models import ScheduleKind, Workflow

# The sandboxes produce business activity every 30 s (connectors/sandbox_life.py): a one-minute schedule
# lets someone watching the live page see new records arrive within two minutes.
DEMO_INTERVAL_SECONDS = 60
# (template, source vendor, destination vendor or None for Ekyam's shipment ledger)
DEMO_FLOWS = [
    ("shipment-sync", "netsuite", "whiplash"),
    ("inventory-sync", "whiplash", "shopify"),
    ("tracking-back", "whiplash", None),
]


def _sandbox_connection(organization, slug: str) -> Connection | None:
    connections = Connection.objects.filter(organization=organization, connector_type=slug)
    return connections.filter(name__endswith="sandbox").order_by("pk").first() or connections.order_by("pk").first()


def seed_demo(organization) -> list[str]:
    lines = []
    for slug, source_slug, destination_slug in DEMO_FLOWS:
        blueprint = get_blueprint(slug)
        if Workflow.objects.filter(organization=organization, name=blueprint.name).exists():
            continue
        source = _sandbox_connection(organization, source_slug)
        destination = _sandbox_connection(organization, destination_slug) if destination_slug else None
        if source is None or (destination_slug and destination is None):
            lines.append(f"Skipped workflow '{blueprint.name}': no {source_slug}/{destination_slug} sandbox connection")
            continue
        workflow = actions.create_from_blueprint(
            organization, slug, source_connection=source, destination_connection=destination, enabled=True,
            schedule_kind=ScheduleKind.INTERVAL, interval_seconds=DEMO_INTERVAL_SECONDS,
        )  # fmt: skip
        # Due now: Beat runs it as soon as it starts instead of one interval later.
        PeriodicTask.objects.filter(pk=workflow.periodic_task_id).update(
            last_run_at=timezone.now() - timedelta(seconds=DEMO_INTERVAL_SECONDS + 60)
        )
        events = f", and on {', '.join(workflow.event_types)}" if workflow.realtime else ""
        lines.append(f"Created workflow '{workflow.name}' (enabled, every {DEMO_INTERVAL_SECONDS // 60} min{events})")
    return lines
