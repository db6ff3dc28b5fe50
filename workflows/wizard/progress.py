"""Where the user is in the setup wizard, derived from rows only (nothing is stored for the wizard).

Each step is done when the rows it produces exist: a connection (1), a verified connection (2), a
complete read mapping (3), a workflow (4), an enabled workflow that is on (5). Leaving and coming
back later therefore resumes where the user was, on any device.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from connectors.mapping.completeness import complete_read_mappings
from connectors.models import Connection, ConnectionStatus
from ekyam.tenancy import scoped
from workflows.models import Workflow

STEP_TITLES = (
    "Select the connector",
    "Check Authentication",
    "Map your data",
    "Configure data flows",
    "Go live",
)


@dataclass
class Step:
    number: int
    title: str
    done: bool
    url: str
    current: bool = False


def derive(organization) -> dict:
    """The five steps with their state, and the URL that continues the setup."""
    connections = list(scoped(Connection, organization).order_by("created_at", "pk"))
    verified = [c for c in connections if c.status in (ConnectionStatus.VERIFIED, ConnectionStatus.OFFLINE)]
    unverified = [c for c in connections if c not in verified]
    read_mappings = complete_read_mappings(organization)
    workflows = list(scoped(Workflow, organization).order_by("created_at", "pk"))
    live = [w for w in workflows if w.enabled and w.status_state == "on"]

    start = reverse("wizard-start")
    steps = [
        Step(1, STEP_TITLES[0], bool(connections), start + "#connectors"),
        Step(
            2,
            STEP_TITLES[1],
            bool(verified),
            reverse("wizard-auth", args=[unverified[0].pk]) if unverified else start + "#connections",
        ),
        Step(3, STEP_TITLES[2], bool(read_mappings), _map_url(verified, start)),
        Step(
            4,
            STEP_TITLES[3],
            bool(workflows),
            reverse("wizard-flow-edit", args=[workflows[0].pk]) if workflows else reverse("wizard-flow-new"),
        ),
        Step(
            5,
            STEP_TITLES[4],
            bool(live),
            reverse("wizard-live", args=[workflows[0].pk]) if workflows else reverse("wizard-flow-new"),
        ),
    ]
    # Continue at the first step not done; with a workflow that is not live yet, go to its step.
    pending = [w for w in workflows if not (w.enabled and w.status_state == "on")]
    if not connections:
        next_url = start + "#connectors"
    elif unverified and not verified:
        next_url = steps[1].url
    elif not read_mappings and verified:
        next_url = steps[2].url
    elif pending:
        next_url = reverse("wizard-live", args=[pending[0].pk]) if pending[0].enabled else steps[3].url
    elif not workflows:
        next_url = steps[3].url
    else:
        next_url = steps[4].url
    current = next((s for s in steps if not s.done), None)
    if current:
        current.current = True
    return {
        "steps": steps,
        "next_url": next_url,
        "connections": connections,
        "workflows": workflows,
        "all_done": current is None,
    }


def _map_url(verified: list[Connection], fallback: str) -> str:
    for connection in verified:
        try:
            if connection.connector_class.reader_streams():
                return reverse("wizard-map", args=[connection.pk])
        except LookupError:
            continue
    return fallback + "#connections"


def steps_for_page(current_number: int, organization) -> list[Step]:
    """The step bar of a wizard page: states from the rows, the page's own step marked current."""
    steps = derive(organization)["steps"]
    for step in steps:
        step.current = step.number == current_number
    return steps
