"""Small helpers shared by the wizard tests."""

from __future__ import annotations

from connectors import actions as connector_actions
from connectors.models import Connection


def form_data(credentials: dict, name: str) -> dict:
    return {"name": name, **credentials}


def verified_connection(org, slug: str, sandbox, name: str | None = None) -> Connection:
    connection = connector_actions.create_connection(
        org, connector_type=slug, name=name or slug.title(), credentials=dict(sandbox.credentials)
    )
    result = connector_actions.check_connection(connection)
    assert result.ok, result.message
    return connection
