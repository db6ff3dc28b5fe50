"""API of the connector catalog and connections (thin: the work is in connectors.actions)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from connectors import actions
from connectors.base import ConnectorError
from connectors.models import Connection
from connectors.registry import all_connectors, get_connector
from connectors.serializers import (
    CheckResultSerializer,
    ConnectionSerializer,
    ConnectorTypeSerializer,
    SampleRequestSerializer,
    SampleResponseSerializer,
    StreamSpecSerializer,
    connector_data,
    stream_data,
)
from ekyam.api.errors import error_body
from ekyam.api.viewsets import OrgScopedModelViewSet


@extend_schema_view(
    list=extend_schema(responses=ConnectorTypeSerializer(many=True), operation_id="connectors_list"),
    retrieve=extend_schema(
        responses=ConnectorTypeSerializer,
        operation_id="connectors_retrieve",
        parameters=[OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)],
    ),
)
class ConnectorCatalogViewSet(viewsets.ViewSet):
    """The connector types Ekyam offers: credential fields for the wizard, reader and writer streams."""

    lookup_field = "slug"

    def list(self, request):
        return Response([connector_data(c) for c in all_connectors()])

    def retrieve(self, request, slug=None):
        try:
            return Response(connector_data(get_connector(slug)))
        except LookupError:
            return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)


def vendor_error_response(exc: ConnectorError) -> Response:
    body = error_body("vendor_error", exc.message)
    body["error"]["vendor"] = {k: v for k, v in exc.as_dict().items() if k != "message"}
    return Response(body, status=status.HTTP_502_BAD_GATEWAY)


class ConnectionViewSet(OrgScopedModelViewSet):
    queryset = Connection.objects.all()
    serializer_class = ConnectionSerializer
    filterset_fields = ["status", "connector_type"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.create_connection(
            self.request.organization,
            connector_type=data["connector_type"],
            name=data["name"],
            credentials=data["credentials"],
            concurrency_limit=data.get("concurrency_limit"),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.update_connection(
            serializer.instance,
            name=data.get("name"),
            credentials=data.get("credentials"),
            concurrency_limit=data.get("concurrency_limit"),
        )

    @extend_schema(request=None, responses=CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        connection = self.get_object()
        result = actions.check_connection(connection)
        return Response(
            {
                "ok": result.ok,
                "reason": result.reason,
                "message": result.message,
                "connection": self.get_serializer(connection).data,
            }
        )

    @extend_schema(responses=StreamSpecSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def streams(self, request, pk=None):
        connection = self.get_object()
        connector = actions.build_connector(connection)
        return Response([stream_data(s) for s in connector.discover()])

    @extend_schema(request=SampleRequestSerializer, responses=SampleResponseSerializer)
    @action(detail=True, methods=["post"])
    def sample(self, request, pk=None):
        connection = self.get_object()
        params = SampleRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            records = actions.sample_records(
                connection, params.validated_data["stream"], params.validated_data["limit"]
            )
        except ConnectorError as exc:
            if exc.code == "validation" and exc.status is None:
                return Response(error_body("invalid", exc.message, {"stream": [exc.message]}), status=400)
            return vendor_error_response(exc)
        return Response({"stream": params.validated_data["stream"], "count": len(records), "records": records})
