"""The "On" sign: a workflow's status derived from rows, with the first failing reason.

Checks run in a fixed order: connectivity (each connection's last check), configuration (auth verified,
streams and mappings complete, a trigger set), liveness (enabled, schedule active, last run healthy).
The workflow is "on" only when all hold; otherwise the first failing check names the reason. Nodes and
edges get their own states so the diagram can colour them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from connectors.models import ConnectionStatus
from workflows import mappings, outcomes
from workflows.models import FINISHED_STATUSES, NodeKind, RecordErrorStatus, RunStatus, ScheduleKind, Workflow

ON, DEGRADED, OFF, NOT_CONFIGURED = "on", "degraded", "off", "not_configured"
SEVERITY = {ON: 0, DEGRADED: 1, NOT_CONFIGURED: 2, OFF: 3}


@dataclass
class Check:
    kind: str  # connectivity, configuration, liveness
    ok: bool
    reason: str
    state: str  # the state this check imposes when it fails
    node: str | None = None


def _vendor_name(connection) -> str:
    try:
        return connection.connector_class.name
    except LookupError:
        return connection.connector_type


def _connection_checks(node) -> list[Check]:
    connection = node.connection
    if connection is None:
        if node.builtin:
            return []
        return [Check("configuration", False, f"{node.label} has no connection.", NOT_CONFIGURED, node.key)]
    if connection.status in (ConnectionStatus.OFFLINE, ConnectionStatus.FAILED):
        detail = connection.last_error or connection.get_status_display().lower()
        return [Check("connectivity", False, f"{connection.name}: {detail}", OFF, node.key)]
    if connection.status != ConnectionStatus.VERIFIED:
        reason = f"{connection.name}: authentication not verified yet (run Check Authentication)."
        return [Check("configuration", False, reason, NOT_CONFIGURED, node.key)]
    return [Check("connectivity", True, f"{connection.name} is reachable.", ON, node.key)]


def _mapping_check(node, mapping_id, *, direction: str, vendor: str) -> Check:
    pin = mappings.current(mapping_id)
    if pin is None:
        return Check("configuration", False, f"{node.label} has no {direction} mapping.", NOT_CONFIGURED, node.key)
    if not pin.is_complete:
        missing = pin.missing or mappings.missing_required(pin)
        what = f"lacks {missing[0]}" if missing else "is incomplete (required fields unmapped)"
        return Check("configuration", False, f"{vendor} mapping {what}.", NOT_CONFIGURED, node.key)
    return Check("configuration", True, f"{vendor} {direction} mapping v{pin.number} is complete.", ON, node.key)


def _configuration_checks(workflow: Workflow, nodes: dict) -> list[Check]:
    checks: list[Check] = []
    source, sync, destination = nodes.get(NodeKind.SOURCE), nodes.get(NodeKind.SYNC), nodes.get(NodeKind.DESTINATION)
    for kind, node in ((NodeKind.SOURCE, source), (NodeKind.SYNC, sync), (NodeKind.DESTINATION, destination)):
        if node is None:
            checks.append(Check("configuration", False, f"The diagram has no {kind} node.", NOT_CONFIGURED))
        elif kind != NodeKind.SYNC and not node.stream:
            checks.append(Check("configuration", False, f"{node.label} has no stream.", NOT_CONFIGURED, node.key))
    if sync is not None:
        if source is not None and source.connection is not None:
            checks.append(
                _mapping_check(sync, sync.read_mapping_id, direction="read", vendor=_vendor_name(source.connection))
            )
        if destination is not None and destination.connection is not None:
            checks.append(
                _mapping_check(
                    sync, sync.write_mapping_id, direction="write", vendor=_vendor_name(destination.connection)
                )
            )
    if workflow.schedule_kind == ScheduleKind.NONE and not workflow.realtime:
        checks.append(Check("configuration", False, "No trigger: set a schedule or real-time events.", NOT_CONFIGURED))
    return checks


def _last_finished_run(workflow: Workflow):
    return (
        workflow.runs.filter(status__in=FINISHED_STATUSES).exclude(status=RunStatus.CANCELLED).order_by("-pk").first()
    )


def _liveness_checks(workflow: Workflow) -> list[Check]:
    checks: list[Check] = []
    if not workflow.enabled:
        checks.append(Check("liveness", False, workflow.paused_reason or "Paused.", OFF))
        return checks
    if workflow.schedule_kind != ScheduleKind.NONE:
        task = workflow.periodic_task
        if task is None or not task.enabled:
            checks.append(Check("liveness", False, "The schedule is not active.", OFF))
    stuck = workflow.runs.filter(status=RunStatus.RUNNING).exclude(error_summary="").order_by("pk").first()
    if stuck is not None:  # a running run notes why it is not moving (it clears the note when it moves on)
        checks.append(Check("liveness", False, f"Run #{stuck.pk} is stuck: {stuck.error_summary}", DEGRADED))
    last = _last_finished_run(workflow)
    if last is not None and last.status == RunStatus.FAILED:
        checks.append(Check("liveness", False, f"Last run failed: {last.error_summary or 'see the run'}", DEGRADED))
    elif last is not None and last.status == RunStatus.PARTIAL:
        checks.append(
            Check(
                "liveness",
                False,
                f"Last run partial: {last.failed_count} {pluralize_records(last.failed_count)} rejected.",
                DEGRADED,
            )
        )
    if not checks:
        checks.append(Check("liveness", True, "Enabled and running healthily.", ON))
    return checks


def pluralize_records(count: int) -> str:
    return "record" if count == 1 else "records"


def derive(workflow: Workflow) -> dict:
    node_rows = list(workflow.nodes.select_related("connection").all())
    nodes = {n.kind: n for n in node_rows}
    checks: list[Check] = []
    for node in node_rows:
        if node.kind != NodeKind.SYNC:
            checks.extend(_connection_checks(node))
    checks.extend(_configuration_checks(workflow, nodes))
    checks.extend(_liveness_checks(workflow))
    order = {"connectivity": 0, "configuration": 1, "liveness": 2}
    checks.sort(key=lambda c: order[c.kind])
    failing = [c for c in checks if not c.ok]
    state = failing[0].state if failing else ON
    reason = failing[0].reason if failing else "On"

    node_states = {}
    for node in node_rows:
        own = [c for c in failing if c.node == node.key]
        node_states[node.key] = {
            "state": own[0].state if own else (OFF if not workflow.enabled else ON),
            "reason": own[0].reason if own else ("Paused." if not workflow.enabled else "OK"),
        }
    edges = []
    for edge in workflow.edges.all():
        a, b = node_states.get(edge.source.key, {}), node_states.get(edge.target.key, {})
        worst = max((a.get("state", ON), b.get("state", ON)), key=lambda s: SEVERITY[s])
        edges.append({"id": edge.pk, "source": edge.source.key, "target": edge.target.key, "state": worst})
    return {
        "workflow_id": workflow.pk,
        "name": workflow.name,
        "enabled": workflow.enabled,
        "on": state == ON,
        "state": state,
        "reason": reason,
        "checks": [asdict(c) for c in checks],
        "nodes": node_states,
        "edges": edges,
    }


def run_summary(run) -> dict:
    return {
        "id": run.pk,
        "trigger": run.trigger,
        "status": run.status,
        "queued_at": run.queued_at.isoformat() if run.queued_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "read": run.read_count,
        "mapped": run.mapped_count,
        "written": run.written_count,  # created + updated
        "created": run.written_count - run.updated_count,
        "updated": run.updated_count,
        "unchanged": run.skipped_count,
        "skipped": run.skipped_count,  # the old name of "unchanged", kept for API clients
        "failed": run.failed_count,
        "requests": run.requests_count,
        "throughput": run.throughput,
        "error_summary": run.error_summary,
    }


def snapshot(workflow: Workflow) -> dict:
    """Everything the status page shows: derived status, current run progress, recent runs and errors."""
    data = derive(workflow)
    runs = list(workflow.runs.order_by("-pk")[:10])
    current = next((r for r in runs if r.status in (RunStatus.RUNNING, RunStatus.QUEUED)), None)
    data["current_run"] = run_summary(current) if current else None
    data["recent_runs"] = [run_summary(r) for r in runs]
    shown = current or next(iter(runs), None)  # the run the live pages show: in progress, else the latest
    data["outcomes"] = {"run_id": shown.pk, "records": outcomes.latest(shown)} if shown else None
    errors = workflow.record_errors.filter(status=RecordErrorStatus.OPEN).order_by("-pk")
    data["open_errors"] = errors.count()
    data["recent_errors"] = [
        {"id": e.pk, "trace_key": e.trace_key, "class": e.error_class, "message": e.message, "run_id": e.run_id}
        for e in errors[:10]
    ]
    return data
