"""The reconciliation and dry-run API: thin views over `workflows.reconcile.actions`.

POST /api/v1/workflows/{id}/reconcile/           {"apply": false, "since": ""}  → 202 report
GET|PATCH /api/v1/workflows/{id}/reconcile-settings/                           schedule, thresholds
POST /api/v1/workflows/{id}/dry-run/             {"since": ""}                  → 202 plan
GET  /api/v1/reconciliations/[?workflow=]  /{id}/  /{id}/items/[?status=]   POST /{id}/apply/
GET  /api/v1/plans/[?workflow=]  /{id}/  /{id}/items/[?action=]  /{id}/download/?as=json|csv
POST /api/v1/plans/{id}/apply/
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from ekyam.api.viewsets import OrgScopedReadOnlyViewSet
from ekyam.tenancy import get_scoped_or_404
from workflows.models import Workflow
from workflows.reconcile import actions, exports
from workflows.reconcile.models import ItemStatus, Plan, PlanAction, Reconciliation
from workflows.reconcile.serializers import (
    DryRunRequestSerializer,
    PlanItemSerializer,
    PlanSerializer,
    ReconcileRequestSerializer,
    ReconcileSettingsSerializer,
    ReconciliationItemSerializer,
    ReconciliationSerializer,
)
from workflows.serializers import RunSerializer


def _workflow(request, pk) -> Workflow:
    return get_scoped_or_404(Workflow, request.organization, pk=pk)


def _start(request, pk, incoming_serializer, start, job_serializer) -> Response:
    """Validate the request, queue the report or plan (`start`), answer 202 with it."""
    workflow = _workflow(request, pk)
    incoming = incoming_serializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    job = start(workflow, **incoming.validated_data)
    return Response(job_serializer(job).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=ReconcileRequestSerializer, responses={202: ReconciliationSerializer})
@api_view(["POST"])
def reconcile(request, pk):
    """Compare the source's and the destination's current state for the workflow's stream."""
    return _start(request, pk, ReconcileRequestSerializer, actions.request_reconciliation, ReconciliationSerializer)


@extend_schema(methods=["GET"], responses=ReconcileSettingsSerializer)
@extend_schema(methods=["PATCH"], request=ReconcileSettingsSerializer, responses=ReconcileSettingsSerializer)
@api_view(["GET", "PATCH"])
def reconcile_settings(request, pk):
    """The workflow's reconciliation schedule (off by default) and drift alert thresholds."""
    workflow = _workflow(request, pk)
    settings = actions.settings_for(workflow)
    if request.method == "PATCH":
        incoming = ReconcileSettingsSerializer(settings, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        settings = actions.update_settings(workflow, **incoming.validated_data)
    return Response(ReconcileSettingsSerializer(settings).data)


@extend_schema(request=DryRunRequestSerializer, responses={202: PlanSerializer})
@api_view(["POST"])
def dry_run(request, pk):
    """Plan the flow from its cursor (or a date): every write it would make, writing nothing."""
    return _start(request, pk, DryRunRequestSerializer, actions.request_dry_run, PlanSerializer)


class _JobViewSet(OrgScopedReadOnlyViewSet):
    """Reports and plans alike: listed per workflow and status, their items filtered by one field, applied
    through one action. The list filters (`?workflow=`, `?status=`) apply to the list, not to one object's
    item actions."""

    filterset_fields = ["workflow", "status"]
    item_serializer: type
    item_filter: str  # the items' field `?<item_filter>=` filters on
    apply_job: staticmethod  # the action that queues the run applying one job

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @action(detail=True, methods=["get"])
    def items(self, request, pk=None):
        queryset = self.get_object().items.all()
        if request.query_params.get(self.item_filter):
            queryset = queryset.filter(**{self.item_filter: request.query_params[self.item_filter]})
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.item_serializer(page, many=True).data)

    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        run = self.apply_job(self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def _job_schema(item_serializer, item_filter: str, values: list[str], applies: str):
    return extend_schema_view(
        items=extend_schema(
            parameters=[OpenApiParameter(item_filter, str, enum=values)], responses=item_serializer(many=True)
        ),
        apply=extend_schema(request=None, responses={202: RunSerializer}, description=applies),
    )


@_job_schema(ReconciliationItemSerializer, "status", ItemStatus.values,
             "Correct the drifted records (compare-and-set against the values this report read).")  # fmt: skip
class ReconciliationViewSet(_JobViewSet):
    """Reconciliation reports: totals and progress; their items per record."""

    queryset = Reconciliation.objects.all()
    serializer_class = ReconciliationSerializer
    item_serializer, item_filter, apply_job = ReconciliationItemSerializer, "status", staticmethod(actions.apply_report)


@_job_schema(PlanItemSerializer, "action", PlanAction.values,
             "Write exactly the planned creates and updates, refusing those whose destination changed.")  # fmt: skip
class PlanViewSet(_JobViewSet):
    """Dry-run plans: per record the write a run would make; downloadable; applicable as reviewed."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    item_serializer, item_filter, apply_job = PlanItemSerializer, "action", staticmethod(actions.apply_plan)

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["json", "csv"])],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return exports.plan_download(self.get_object(), request.query_params.get("as") or "json")
