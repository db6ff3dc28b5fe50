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
from drf_spectacular.utils import OpenApiParameter, extend_schema
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


@extend_schema(request=ReconcileRequestSerializer, responses={202: ReconciliationSerializer})
@api_view(["POST"])
def reconcile(request, pk):
    """Compare the source's and the destination's current state for the workflow's stream."""
    workflow = _workflow(request, pk)
    incoming = ReconcileRequestSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    report = actions.request_reconciliation(workflow, **incoming.validated_data)
    return Response(ReconciliationSerializer(report).data, status=status.HTTP_202_ACCEPTED)


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
    workflow = _workflow(request, pk)
    incoming = DryRunRequestSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    plan = actions.request_dry_run(workflow, **incoming.validated_data)
    return Response(PlanSerializer(plan).data, status=status.HTTP_202_ACCEPTED)


class _ParentFilters:
    """The list filters (`?workflow=`, `?status=`) apply to the list, not to one object's item actions."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset


class ReconciliationViewSet(_ParentFilters, OrgScopedReadOnlyViewSet):
    """Reconciliation reports: totals and progress; their items per record."""

    queryset = Reconciliation.objects.all()
    serializer_class = ReconciliationSerializer
    filterset_fields = ["workflow", "status"]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ItemStatus.values)],
        responses=ReconciliationItemSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def items(self, request, pk=None):
        queryset = self.get_object().items.all()
        if request.query_params.get("status"):
            queryset = queryset.filter(status=request.query_params["status"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ReconciliationItemSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Correct the drifted records (compare-and-set against the values this report read)."""
        run = actions.apply_report(self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PlanViewSet(_ParentFilters, OrgScopedReadOnlyViewSet):
    """Dry-run plans: per record the write a run would make; downloadable; applicable as reviewed."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    filterset_fields = ["workflow", "status"]

    @extend_schema(
        parameters=[OpenApiParameter("action", str, enum=PlanAction.values)],
        responses=PlanItemSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def items(self, request, pk=None):
        queryset = self.get_object().items.all()
        if request.query_params.get("action"):
            queryset = queryset.filter(action=request.query_params["action"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PlanItemSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["json", "csv"])],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return exports.plan_download(self.get_object(), request.query_params.get("as") or "json")

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Write exactly the planned creates and updates, refusing those whose destination changed."""
        run = actions.apply_plan(self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
