"""Demo data: one connection per vendor sandbox, so a fresh portal has something to connect to."""

from __future__ import annotations

from connectors.models import Connection
from connectors.sandboxes import sandbox_url, sandboxed_connectors


def seed_demo(organization) -> list[str]:
    lines = []
    for connector in sandboxed_connectors():
        name = f"{connector.name} sandbox"
        connection = Connection.objects.filter(organization=organization, name=name).first()
        if connection is None:
            connection = Connection(organization=organization, connector_type=connector.slug, name=name)
            connection.set_credentials(connector.sandbox_credentials(sandbox_url(connector.slug)))
            connection.save()
            lines.append(f"Created connection '{name}' → {sandbox_url(connector.slug)}")
    return lines
