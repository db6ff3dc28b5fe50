"""The workflow diagram as inline SVG data: boxes at the nodes' positions, arrows between them.

The template draws it (templates/wizard/_diagram.html); this module only computes geometry, so the
same picture serves a stored workflow (with derived states) and a template not saved yet. Labels wrap
onto two lines and are cut with "…" beyond (the full label is the box's tooltip); the Sync step carries
the workflow's sign (green On / amber with the reason / grey Off). Narrow screens get the same boxes
stacked top to bottom (`narrow`), so the text stays readable at phone widths.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace

NODE_WIDTH, NODE_HEIGHT, MARGIN = 200, 92, 20
LABEL_CHARS, LABEL_LINES, SIGN_CHARS = 24, 2, 24
NARROW_GAP = 56  # between stacked boxes: room for the arrow and its label
NARROW_LABEL_ROOM = 90
SIGN_LABELS = {"on": "On", "off": "Off"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_lines(label: str) -> list[tuple[int, str]]:
    """(y, text) of a node label wrapped to the box: at most two lines, the last cut with "…"."""
    lines = textwrap.wrap(label, LABEL_CHARS, break_long_words=True) or [""]
    if len(lines) > LABEL_LINES:
        rest = " ".join(lines[LABEL_LINES - 1 :])
        lines = [*lines[: LABEL_LINES - 1], _clip(rest, LABEL_CHARS)]
    return [(40 + 17 * index, line) for index, line in enumerate(lines)]


@dataclass
class Sign:
    """The workflow's sign as the Sync step shows it."""

    state: str
    reason: str

    @property
    def tone(self) -> str:
        """green (on), grey (off) or amber (anything else: degraded, not configured)."""
        return {"on": "on", "off": "off"}.get(self.state, "amber")

    @property
    def text(self) -> str:
        return SIGN_LABELS.get(self.state) or _clip(self.reason or "Not on", SIGN_CHARS)


@dataclass
class DiagramNode:
    key: str
    kind: str
    label: str
    x: int
    y: int
    state: str = ""
    reason: str = ""
    sign: Sign | None = None
    lines: list = field(default_factory=list)

    def __post_init__(self):
        self.lines = label_lines(self.label)

    @property
    def cx(self) -> int:
        return self.x + NODE_WIDTH // 2


@dataclass
class DiagramEdge:
    source: DiagramNode
    target: DiagramNode
    label: str
    state: str = ""
    vertical: bool = False  # stacked layout: from the bottom of one box to the top of the next

    @property
    def x1(self) -> int:
        return self.source.cx if self.vertical else self.source.x + NODE_WIDTH

    @property
    def y1(self) -> int:
        return self.source.y + NODE_HEIGHT if self.vertical else self.source.y + NODE_HEIGHT // 2

    @property
    def x2(self) -> int:
        return self.target.cx if self.vertical else self.target.x - 4

    @property
    def y2(self) -> int:
        return self.target.y - 4 if self.vertical else self.target.y + NODE_HEIGHT // 2

    @property
    def label_y(self) -> int:
        """Above the boxes (the gap between two nodes is narrower than a label); stacked: in the gap."""
        if self.vertical:
            return (self.y1 + self.y2) // 2 + 4
        return min(self.source.y, self.target.y) - 12

    @property
    def mid_x(self) -> int:
        if self.vertical:
            return self.source.cx + 12
        return (self.x1 + self.x2) // 2

    @property
    def anchor(self) -> str:
        return "start" if self.vertical else "middle"


def _size(nodes: list[DiagramNode]) -> tuple[int, int]:
    width = max((n.x + NODE_WIDTH for n in nodes), default=NODE_WIDTH) + MARGIN
    height = max((n.y + NODE_HEIGHT for n in nodes), default=NODE_HEIGHT) + MARGIN
    return width, height


def _stacked(nodes: list[DiagramNode], edges: list[DiagramEdge]) -> dict:
    """The same diagram top to bottom, left-to-right order kept."""
    order = sorted(nodes, key=lambda n: (n.x, n.y))
    moved = {id(n): replace(n, x=MARGIN, y=MARGIN + i * (NODE_HEIGHT + NARROW_GAP)) for i, n in enumerate(order)}
    stacked_edges = [replace(e, source=moved[id(e.source)], target=moved[id(e.target)], vertical=True) for e in edges]
    width, height = _size(list(moved.values()))
    # The arrows' labels sit right of the arrows, past the middle of the boxes: room for them.
    return {"nodes": list(moved.values()), "edges": stacked_edges, "width": width + NARROW_LABEL_ROOM, "height": height}


def _layout(nodes: list[DiagramNode], edges: list[DiagramEdge], title: str) -> dict:
    width, height = _size(nodes)
    return {
        "nodes": nodes,
        "edges": edges,
        "width": width,
        "height": height,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "title": title,
        "narrow": _stacked(nodes, edges),
    }


def for_workflow(workflow, status: dict | None = None) -> dict:
    """A stored workflow's diagram; `status` (workflows.status.derive) colours nodes and edges."""
    status = status or {}
    node_states = status.get("nodes", {})
    edge_states = {e["id"]: e["state"] for e in status.get("edges", [])}
    nodes = {}
    for node in workflow.nodes.all():
        state = node_states.get(node.key, {})
        sign = Sign(status["state"], status.get("reason", "")) if node.kind == "sync" and "state" in status else None
        nodes[node.pk] = DiagramNode(
            node.key, node.kind, node.label, node.x, node.y, state.get("state", ""), state.get("reason", ""), sign
        )
    edges = [
        DiagramEdge(nodes[e.source_id], nodes[e.target_id], e.label, edge_states.get(e.pk, ""))
        for e in workflow.edges.all()
        if e.source_id in nodes and e.target_id in nodes
    ]
    return _layout(list(nodes.values()), edges, f"Diagram of {workflow.name}")


def for_blueprint(blueprint, source_label: str = "", destination_label: str = "") -> dict:
    """The diagram a template will create (same positions as `workflows.actions.create_workflow`)."""
    source = DiagramNode(
        "source", "source", source_label or f"{blueprint.source_connector} · {blueprint.source_stream}", 40, 60
    )
    sync = DiagramNode("sync", "sync", blueprint.sync_label, 300, 60)
    destination = DiagramNode(
        "destination",
        "destination",
        destination_label
        or (
            "Ekyam · Shipment record"
            if blueprint.builtin_destination
            else f"{blueprint.destination_connector} · {blueprint.destination_stream}"
        ),
        560,
        60,
    )
    edges = [
        DiagramEdge(source, sync, f"{blueprint.source_stream} → {blueprint.standard}"),
        DiagramEdge(sync, destination, f"{blueprint.standard} → {blueprint.destination_stream}"),
    ]
    return _layout([source, sync, destination], edges, f"Diagram of the {blueprint.name} template")
