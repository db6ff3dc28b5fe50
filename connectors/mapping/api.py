"""API of the mapping app: standards, mappings (versioned), preview, suggestions, feedback, lookup tables."""

from __future__ import annotations

from django.db import IntegrityError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from connectors.base import ConnectorError
from connectors.mapping import actions
from connectors.mapping.engine import MappingInvalid
from connectors.mapping.models import LookupTable, Mapping, SuggestionFeedback
from connectors.mapping.serializers import (
    FeedbackSerializer,
    LookupTableSerializer,
    MappingSerializer,
    MappingVersionSerializer,
    PreviewRequestSerializer,
    StandardSerializer,
    SuggestRequestSerializer,
)
from connectors.mapping.suggest import suggest_mappings
from connectors.standards import STANDARD_NAMES, get_standard, list_standards
from ekyam.api.schema import ObjectResponseSchema
from ekyam.api.viewsets import OrgScopedModelViewSet


def invalid(exc: MappingInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError({"rules": [f"{e['rule']}: {e['message']}" for e in exc.errors]})


class StandardViewSet(viewsets.ViewSet):
    """The Ekyam Data Standards: every field with its description and example."""

    lookup_field = "name"
    lookup_value_regex = "[a-z_]+"
    serializer_class = StandardSerializer
    schema = ObjectResponseSchema()

    @extend_schema(
        responses=inline_serializer("StandardList", {"results": StandardSerializer(many=True)}),
        operation_id="v1_standards_list",
    )
    def list(self, request):
        return Response({"results": list_standards()})

    @extend_schema(responses=StandardSerializer, operation_id="v1_standards_retrieve")
    def retrieve(self, request, name=None):
        if name not in STANDARD_NAMES:
            raise exceptions.NotFound(f"Unknown standard {name!r}; known: {', '.join(STANDARD_NAMES)}.")
        summary = next(s for s in list_standards() if s["name"] == name)
        return Response({**summary, "schema": get_standard(name)})


class MappingViewSet(OrgScopedModelViewSet):
    queryset = Mapping.objects.select_related("connection").prefetch_related("versions")
    serializer_class = MappingSerializer
    filterset_fields = ["connection", "stream", "direction", "standard"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = actions.create_mapping(
                self.request.organization,
                connection=data["connection"],
                stream=data["stream"],
                direction=data["direction"],
                standard=data["standard"],
                name=data.get("name", ""),
                rules=data.get("rules", []),
                lookups=data.get("lookups"),
                user=self.request.user,
            )
        except MappingInvalid as exc:
            raise invalid(exc) from None
        except IntegrityError:
            raise exceptions.ValidationError(
                {"stream": "This connection already has a mapping for that stream and direction."}
            ) from None

    def perform_update(self, serializer):
        mapping, data = serializer.instance, serializer.validated_data
        if data.get("name"):
            actions.rename_mapping(mapping, data["name"])
        if "rules" in data or "lookups" in data:
            current = mapping.current_version()
            rules = data.get("rules", current.rules if current else [])
            try:
                actions.save_mapping_version(
                    mapping, rules, self.request.user, lookups=data.get("lookups"), comment=data.get("comment", "")
                )
            except MappingInvalid as exc:
                raise invalid(exc) from None

    @extend_schema(
        responses=inline_serializer("MappingVersionList", {"results": MappingVersionSerializer(many=True)}),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        mapping = self.get_object()
        return Response({"results": MappingVersionSerializer(mapping.versions.order_by("-number"), many=True).data})

    @extend_schema(request=PreviewRequestSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        mapping = self.get_object()
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        records = body.validated_data.get("records")
        if records is None and body.validated_data["live"]:
            if mapping.direction != "read":
                # A writer mapping's input is standard records, which no vendor stream supplies.
                raise exceptions.ValidationError(
                    {"live": "Live samples exist for reader mappings only; send standard records as `records`."}
                )
            try:
                records = actions.sample_records(mapping, body.validated_data["limit"])
            except ConnectorError as exc:
                raise exceptions.ValidationError({"live": f"Could not read sample records: {exc.message}"}) from None
        if records is None:
            raise exceptions.ValidationError({"records": "Send sample records, or live: true to pull them."})
        try:
            result = actions.preview(mapping, records, rules=body.validated_data.get("rules"))
        except MappingInvalid as exc:
            raise invalid(exc) from None
        return Response(result)

    @extend_schema(request=SuggestRequestSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def suggest(self, request):
        body = SuggestRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = suggest_mappings(
            data["standard"],
            data["direction"],
            [dict(field) for field in data["source_fields"]],
            organization=request.organization,
            rules=data.get("rules"),
            rerank=data["rerank"],
        )
        return Response(result)

    @extend_schema(request=FeedbackSerializer, responses={201: FeedbackSerializer})
    @action(detail=False, methods=["post"])
    def feedback(self, request):
        body = FeedbackSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        entry = actions.record_feedback(request.organization, user=request.user, **body.validated_data)
        return Response(
            FeedbackSerializer(entry, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class LookupTableViewSet(OrgScopedModelViewSet):
    queryset = LookupTable.objects.all()
    serializer_class = LookupTableSerializer
    filterset_fields = ["name"]

    def perform_create(self, serializer):
        serializer.instance = actions.save_lookup_table(self.request.organization, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {
            "name": serializer.instance.name,
            "values": serializer.instance.values,
            "description": serializer.instance.description,
            **serializer.validated_data,
        }
        serializer.instance = actions.save_lookup_table(self.request.organization, table=serializer.instance, **data)


class FeedbackViewSet(OrgScopedModelViewSet):
    """Stored verdicts on suggestions (read and delete; create through /mappings/feedback)."""

    queryset = SuggestionFeedback.objects.all()
    serializer_class = FeedbackSerializer
    http_method_names = ["get", "delete", "head", "options"]
    filterset_fields = ["standard", "target", "accepted"]
