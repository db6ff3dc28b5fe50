"""Dry runs ("plan, then apply"): the flow from its cursor (or a backfill date), every page, through
read → mapping → validation → the lineage ledger → the writer's plan mode, recording per record the
write a real run would make. Nothing is written to the destination and no cursor moves.

It mirrors the engine step for step so that the plan is what the next real run does: the same reader
call (`page_size` of the workflow), the same keys and "last record wins" per page, the same ledger skip
(a payload whose hash the lineage already holds is `unchanged` without asking the destination), then
the writer's own lookup and comparison.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from workflows.models import Lineage, StreamCursor
from workflows.reconcile import jobs
from workflows.reconcile.actions import finish_plan
from workflows.reconcile.flow import Flow
from workflows.reconcile.models import Plan, PlanAction, PlanItem


def claim(plan_id: int) -> Plan | None:
    return jobs.claim(Plan, plan_id)


def do_dry_run(plan_id: int) -> Plan | None:
    plan = claim(plan_id)
    if plan is None:
        return None
    return jobs.run(plan, lambda: Planner(plan, Flow(plan.workflow)).execute(), finish_plan)


class Planner:
    def __init__(self, plan: Plan, flow: Flow):
        self.plan = plan
        self.flow = flow
        self._spent = jobs.RequestMeter(flow.source_connector, flow.destination_connector).spent

    def execute(self) -> None:
        flow, plan = self.flow, self.plan
        stored = StreamCursor.objects.filter(workflow=flow.workflow, stream=flow.source.stream).first()
        start = flow.read_cursor(plan.since or None, stored.cursor if stored else None)
        read_version, write_version = flow.versions
        Plan.objects.filter(pk=plan.pk).update(
            start_cursor=start, read_mapping_version_id=read_version, write_mapping_version_id=write_version
        )
        reader = flow.source_connector.read(flow.source.stream, cursor=start, page_size=flow.workflow.page_size)
        for page in reader:
            items = self._plan_page(page.records)
            with transaction.atomic():
                PlanItem.objects.bulk_create(items)
                Plan.objects.filter(pk=plan.pk).update(
                    pages=F("pages") + 1,
                    read_count=F("read_count") + len(page.records),
                    requests_count=F("requests_count") + self._spent(),
                    end_cursor=page.cursor,
                    heartbeat_at=timezone.now(),
                )
            if page.done:
                break

    def _plan_page(self, records: list[dict]) -> list[PlanItem]:
        flow = self.flow
        staged = flow.stage(records)
        items, pending = [], []
        mapped = [e for e in staged if e.payload is not None]
        ledger = dict(
            Lineage.objects.filter(workflow=flow.workflow, source_key__in=[e.key for e in mapped]).values_list(
                "source_key", "content_hash"
            )
        )
        for entry in staged:
            common = {
                "plan": self.plan,
                "key": entry.key,
                "source_id": entry.source_id,
                "source_payload": entry.raw,
                "standard_record": entry.standard,
                "payload": entry.payload,
            }
            if entry.payload is None:
                items.append(PlanItem(action=PlanAction.ERROR, stage=entry.stage, message=entry.message, **common))
            elif ledger.get(entry.key) == entry.digest:
                items.append(
                    PlanItem(action=PlanAction.UNCHANGED, message="Already written with this content.", **common)
                )
            else:
                pending.append((entry, common))
        if pending:
            planned = flow.destination_connector.plan(
                flow.destination.stream, [e.payload for e, _ in pending], context={"keys": [e.key for e, _ in pending]}
            )
            for (_entry, common), result in zip(pending, planned, strict=True):
                error = result.error
                items.append(
                    PlanItem(
                        action=result.action if result.action in PlanAction.values else PlanAction.ERROR,
                        destination_id=result.destination_id or "",
                        diff=_jsonable(result.diff),
                        state=result.state,
                        stage="write" if error else "",
                        message=error.message if error else "",
                        **common,
                    )
                )
        return items


def _jsonable(value):
    import json

    return json.loads(json.dumps(value, default=str))
