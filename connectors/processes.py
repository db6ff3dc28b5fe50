"""`manage.py standalone` starts one sandbox per vendor connector that ships one.

A sandbox that sends webhooks (Whiplash, Shopify) is pointed at the portal's `/hooks/<vendor>/<token>/`
address of the demo connection to it (created by `seed_demo`, see connectors/seed.py), so its
`POST /_sandbox/fire` events travel the real path: receiver → outbox → Kafka → trigger consumer → sync.
Each sandbox lives (business activity every `EKYAM_SANDBOX_ACTIVITY_SECONDS`, unless
`EKYAM_SANDBOX_ACTIVITY=off`) and keeps its data in `var/sandbox/<vendor>.json` across restarts.
"""

from connectors.sandboxes import (
    SANDBOX_SEED,
    sandbox_activity_seconds,
    sandbox_port,
    sandbox_state_file,
    sandboxed_connectors,
)
from ekyam.processes import ProcessSpec, manage

WEBHOOK_SENDERS = ("whiplash", "shopify")


def demo_webhook_url(connector, context: dict) -> str:
    """The hooks address of the demo organization's sandbox connection to this vendor, or ""."""
    from django.db import DatabaseError

    from connectors.models import Connection

    try:
        connection = (
            Connection.objects.filter(
                organization__slug="demo", connector_type=connector.slug, name=f"{connector.name} sandbox"
            )
            .order_by("pk")
            .first()
        )
    except DatabaseError:  # not migrated yet: the sandbox simply sends no webhooks
        return ""
    if connection is None:
        return ""
    host = context.get("host") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{context['port']}/hooks/{connector.slug}/{connection.webhook_token}/"


def standalone_processes(context: dict) -> list[ProcessSpec]:
    specs = []
    for connector in sandboxed_connectors():
        port = sandbox_port(connector.slug)
        argv = manage("sandbox", connector.slug, "--port", str(port), "--seed", str(SANDBOX_SEED))
        argv += [
            "--activity-seconds",
            f"{sandbox_activity_seconds():g}",
            "--state-file",
            sandbox_state_file(connector.slug),
        ]
        url = demo_webhook_url(connector, context) if connector.slug in WEBHOOK_SENDERS and "port" in context else ""
        if url:
            argv += ["--webhook-url", url]
        specs.append(ProcessSpec(f"sandbox-{connector.slug}", argv, ready_port=port))
    return specs
