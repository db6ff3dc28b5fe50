"""The workflow diagram as inline SVG data: boxes at the nodes' positions, arrows between them.

The template draws it (templates/wizard/_diagram.html); this module only computes geometry, so the
same picture serves a stored workflow (with derived states) and a template not saved yet.
"""

from __future__ import annotations

from dataclasses import dataclass

NODE_WIDTH, NODE_HEIGHT, MARGIN = 200, 64, 20


@dataclass
class DiagramNode:
    key: str
    kind: str
    label: str
    x: int
    y: int
    state: str = ""
    reason: str = ""

    @property
    def cx(self) -> int:
        return self.x + NODE_WIDTH // 2


@dataclass
class DiagramEdge:
    source: DiagramNode
    target: DiagramNode
    label: str
    state: str = ""

    @property
    def x1(self) -> int:
        return self.source.x + NODE_WIDTH

    @property
    def y1(self) -> int:
        return self.source.y + NODE_HEIGHT // 2

    @property
    def x2(self) -> int:
        return self.target.x - 4

    @property
    def y2(self) -> int:
        return self.target.y + NODE_HEIGHT // 2

    @property
    def label_y(self) -> int:
        """Above the boxes: the gap between two nodes is narrower than a label."""
        return min(self.source.y, self.target.y) - 12

    @property
    def mid_x(self) -> int:
        return (self.x1 + self.x2) // 2


def _layout(nodes: list[DiagramNode], edges: list[DiagramEdge], title: str) -> dict:
    width = max((n.x + NODE_WIDTH for n in nodes), default=NODE_WIDTH) + MARGIN
    height = max((n.y + NODE_HEIGHT for n in nodes), default=NODE_HEIGHT) + MARGIN
    return {
        "nodes": nodes,
        "edges": edges,
        "width": width,
        "height": height,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "title": title,
    }


def for_workflow(workflow, status: dict | None = None) -> dict:
    """A stored workflow's diagram; `status` (workflows.status.derive) colours nodes and edges."""
    status = status or {}
    node_states = status.get("nodes", {})
    edge_states = {e["id"]: e["state"] for e in status.get("edges", [])}
    nodes = {}
    for node in workflow.nodes.all():
        state = node_states.get(node.key, {})
        nodes[node.pk] = DiagramNode(
            node.key, node.kind, node.label, node.x, node.y, state.get("state", ""), state.get("reason", "")
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
