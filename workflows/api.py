"""The workflows API: thin viewsets over `workflows.actions`."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ekyam.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from ekyam.tenancy import scoped
from workflows import actions, lineage
from workflows.models import Lineage, OutcomeKind, RecordError, Run, Workflow
from workflows.serializers import (
    BackfillSerializer,
    BulkIdsSerializer,
    LineageSerializer,
    NodeSerializer,
    RecordErrorSerializer,
    RecordOutcomeSerializer,
    RetrySerializer,
    RunDetailSerializer,
    RunSerializer,
    WorkflowCreateSerializer,
    WorkflowSerializer,
)
from workflows.status import snapshot


def _invalid(exc: Exception):
    detail = exc.message_dict if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict") else str(exc)
    if isinstance(exc, DjangoValidationError) and not hasattr(exc, "error_dict"):
        detail = exc.messages
    return serializers.ValidationError(detail)


def with_latest_run(queryset):
    """Prefetch each workflow's latest run into `latest_runs` (a list of at most one): one query for the
    whole page, however many workflows it holds."""
    latest = Run.objects.filter(workflow=OuterRef("workflow_id")).order_by("-pk").values("pk")[:1]
    return queryset.prefetch_related(
        Prefetch("runs", queryset=Run.objects.filter(pk=Subquery(latest)), to_attr="latest_runs")
    )


class WorkflowViewSet(OrgScopedModelViewSet):
    """Workflows: diagrams of source → sync step → destination, with triggers and derived status."""

    queryset = with_latest_run(Workflow.objects.prefetch_related("nodes__connection", "edges__source", "edges__target"))
    serializer_class = WorkflowSerializer
    filterset_fields = ["enabled", "blueprint"]

    @extend_schema(request=WorkflowCreateSerializer, responses={201: WorkflowSerializer})
    def create(self, request, *args, **kwargs):
        incoming = WorkflowCreateSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if "timezone" in data:
            data["timezone_name"] = data.pop("timezone")
        try:
            if data.get("blueprint"):
                slug = data.pop("blueprint")
                for unused in ("source_stream", "destination_stream", "standard"):
                    data.pop(unused, None)
                workflow = actions.create_from_blueprint(request.organization, slug, **data)
            else:
                workflow = actions.create_workflow(request.organization, **data)
        except (ValueError, LookupError, DjangoValidationError) as exc:
            raise _invalid(exc)
        return Response(self.get_serializer(workflow).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k in actions.EDITABLE_FIELDS}
        try:
            serializer.instance = actions.update_workflow(serializer.instance, **changes)
        except (ValueError, DjangoValidationError) as exc:
            raise _invalid(exc)

    def perform_destroy(self, instance):
        actions.delete_workflow(instance)

    @extend_schema(request=NodeSerializer, responses=NodeSerializer)
    @action(detail=True, methods=["patch"], url_path=r"nodes/(?P<key>[\w-]+)")
    def node(self, request, pk=None, key=None):
        workflow = self.get_object()
        node = get_object_or_404(workflow.nodes, key=key)
        incoming = NodeSerializer(node, data=request.data, partial=True, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        try:
            node = actions.update_node(node, **changes)
        except ValueError as exc:
            raise _invalid(exc)
        return Response(NodeSerializer(node).data)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        run = actions.run_now(self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=BackfillSerializer, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def backfill(self, request, pk=None):
        incoming = BackfillSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        run = actions.backfill(self.get_object(), incoming.validated_data["since"])
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        workflow = actions.pause_workflow(self.get_object(), reason=f"Paused by {request.user}.")
        return Response(self.get_serializer(workflow).data)

    @extend_schema(request=None, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        workflow = actions.resume_workflow(self.get_object())
        return Response(self.get_serializer(workflow).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def status(self, request, pk=None):
        """The derived status ("On" sign), node and edge states, run progress, recent runs and errors."""
        return Response(snapshot(self.get_object()))

    @extend_schema(responses=RunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        queryset = scoped(Run, request.organization).filter(workflow=self.get_object())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RunSerializer(page, many=True).data)


class RunViewSet(OrgScopedReadOnlyViewSet):
    queryset = Run.objects.all()
    serializer_class = RunSerializer
    filterset_fields = ["workflow", "status", "trigger"]

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(RunSerializer(actions.cancel_run(self.get_object())).data)

    @extend_schema(
        parameters=[OpenApiParameter("outcome", str, enum=OutcomeKind.values, description="Only this outcome.")],
        responses=RecordOutcomeSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def outcomes(self, request, pk=None):
        """What the run did with each record (written, updated, unchanged, failed) and why."""
        rows = self.get_object().outcomes.all()
        wanted = request.query_params.get("outcome")
        if wanted:
            if wanted not in OutcomeKind.values:
                raise serializers.ValidationError({"outcome": f"Choose one of {', '.join(OutcomeKind.values)}."})
            rows = rows.filter(outcome=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RecordOutcomeSerializer(page, many=True).data)


class RecordErrorViewSet(OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = RecordError.objects.all()
    serializer_class = RecordErrorSerializer
    filterset_fields = ["workflow", "run", "status", "error_class", "trace_key"]

    def _retry(self, errors, edited_payload=None):
        try:
            run = actions.retry_record_errors(errors, edited_payload=edited_payload)
        except ValueError as exc:
            raise _invalid(exc)
        if run is None:
            raise serializers.ValidationError("None of these record errors is open.")
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=RetrySerializer, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        record_error = self.get_object()
        incoming = RetrySerializer(data=request.data, context={"record_error": record_error})
        incoming.is_valid(raise_exception=True)
        return self._retry([record_error], incoming.validated_data.get("edited_payload"))

    @extend_schema(request=None, responses=RecordErrorSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        error = self.get_object()
        actions.resolve_record_errors([error])
        error.refresh_from_db()
        return Response(self.get_serializer(error).data)

    def _bulk(self, request):
        incoming = BulkIdsSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data["ids"]

    @extend_schema(operation_id="record_errors_bulk_retry", request=BulkIdsSerializer, responses={202: RunSerializer})
    @action(detail=False, methods=["post"], url_path="retry")
    def bulk_retry(self, request):
        return self._retry(self._bulk(request))

    @extend_schema(operation_id="record_errors_bulk_resolve", request=BulkIdsSerializer, responses=dict)
    @action(detail=False, methods=["post"], url_path="resolve")
    def bulk_resolve(self, request):
        return Response({"resolved": actions.resolve_record_errors(self._bulk(request))})


class LineageViewSet(OrgScopedReadOnlyViewSet):
    """Lineage rows; `?q=<any id or key>` returns the record's whole path across workflows."""

    queryset = Lineage.objects.select_related("workflow")
    serializer_class = LineageSerializer
    filterset_fields = ["workflow", "source_system", "destination_system"]

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Any source or destination id or key")])
    def list(self, request, *args, **kwargs):
        query = request.query_params.get("q")
        if query:
            rows = lineage.search_lineage(request.organization, query)
            return Response({"results": LineageSerializer(rows, many=True).data})
        return super().list(request, *args, **kwargs)
