from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connectors.mapping.models import STANDARD_CHOICES, Mapping
from connectors.models import Connection
from ekyam.api.fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField, request_organization
from ekyam.api.validation import check_stream, check_unique_in_organization, column_max_length
from workflows import scheduling
from workflows.blueprints import BLUEPRINTS
from workflows.models import (
    Lineage,
    RecordError,
    RecordOutcome,
    Run,
    ScheduleKind,
    Workflow,
    WorkflowEdge,
    WorkflowNode,
)


class NodeSerializer(ScopedModelSerializer):
    read_mapping_id = ScopedPrimaryKeyRelatedField(Mapping, as_id=True, required=False, allow_null=True)
    write_mapping_id = ScopedPrimaryKeyRelatedField(Mapping, as_id=True, required=False, allow_null=True)
    # allow_null, not default=None: a default is skipped in partial (PATCH) answers, which dropped the field.
    connection_name = serializers.CharField(source="connection.name", read_only=True, allow_null=True)

    class Meta:
        model = WorkflowNode
        fields = ["id", "key", "kind", "label", "connection", "connection_name", "stream", "builtin", "standard",
                  "read_mapping_id", "write_mapping_id", "x", "y"]  # fmt: skip
        read_only_fields = ["id", "key", "kind", "builtin", "standard"]

    def validate(self, attrs):
        node = self.instance
        if node is not None and "stream" in attrs and node.kind != "sync":
            connection = attrs.get("connection", node.connection)
            if connection is not None:
                try:
                    check_stream(connection, attrs["stream"], "read" if node.kind == "source" else "write")
                except serializers.ValidationError as exc:
                    raise serializers.ValidationError({"stream": exc.detail}) from None
        return attrs


class EdgeSerializer(ScopedModelSerializer):
    source = serializers.CharField(source="source.key")
    target = serializers.CharField(source="target.key")

    class Meta:
        model = WorkflowEdge
        fields = ["id", "source", "target", "label"]


class LastRunSerializer(ScopedModelSerializer):
    """The summary of a workflow's latest run shown with the workflow."""

    status = serializers.CharField(read_only=True, help_text="queued, running, succeeded, partial, failed, cancelled")
    trigger = serializers.CharField(read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "status", "trigger", "started_at", "finished_at", "counts"]
        read_only_fields = fields

    def get_counts(self, run) -> dict:
        return {
            "read": run.read_count,
            "mapped": run.mapped_count,
            "written": run.written_count,
            "updated": run.updated_count,
            "unchanged": run.skipped_count,
            "skipped": run.skipped_count,  # the old name of "unchanged"
            "failed": run.failed_count,
        }


def latest_run(workflow) -> Run | None:
    """The workflow's latest run: from `latest_runs` when the queryset prefetched it (the API's does,
    see `workflows.api.with_latest_run`), else one query."""
    if hasattr(workflow, "latest_runs"):
        return workflow.latest_runs[0] if workflow.latest_runs else None
    return workflow.runs.order_by("-pk").first()


class WorkflowSerializer(ScopedModelSerializer):
    nodes = NodeSerializer(many=True, read_only=True)
    edges = EdgeSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "blueprint", "enabled", "paused_reason", "schedule_kind",
                  "interval_seconds", "cron", "timezone", "realtime", "event_types", "page_size",
                  "max_consecutive_failures", "consecutive_failures", "status", "last_run", "nodes", "edges",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["blueprint", "enabled", "paused_reason", "consecutive_failures", "created_at", "updated_at"]

    def get_status(self, workflow) -> dict:
        return {"state": workflow.status_state, "reason": workflow.status_reason}

    def validate_name(self, name):
        check_unique_in_organization(request_organization(self.context), Workflow, "name", name, instance=self.instance)
        return name

    def validate_interval_seconds(self, value):
        return _bounded_interval(value)

    @extend_schema_field(LastRunSerializer(allow_null=True))
    def get_last_run(self, workflow) -> dict | None:
        run = latest_run(workflow)
        return LastRunSerializer(run).data if run is not None else None


def _bounded_interval(value):
    if value is not None and value > scheduling.MAX_INTERVAL_SECONDS:
        raise serializers.ValidationError(f"At most {scheduling.MAX_INTERVAL_SECONDS} seconds (one year).")
    return value


STREAM_LENGTH = column_max_length(WorkflowNode, "stream")


class WorkflowCreateSerializer(serializers.Serializer):
    """Either a template (`blueprint` + connections) or an explicit source → sync → destination."""

    name = serializers.CharField(max_length=column_max_length(Workflow, "name"), required=False)
    blueprint = serializers.ChoiceField(choices=sorted(BLUEPRINTS), required=False)
    source_connection = ScopedPrimaryKeyRelatedField(Connection)
    source_stream = serializers.CharField(required=False, allow_blank=True, max_length=STREAM_LENGTH)
    destination_connection = ScopedPrimaryKeyRelatedField(Connection, required=False, allow_null=True)
    destination_stream = serializers.CharField(required=False, allow_blank=True, max_length=STREAM_LENGTH)
    # The same choice set as a mapping's standard, so the schema has one Standard enum.
    standard = serializers.ChoiceField(choices=STANDARD_CHOICES, required=False, allow_blank=True)
    read_mapping_id = ScopedPrimaryKeyRelatedField(Mapping, as_id=True, required=False, allow_null=True)
    write_mapping_id = ScopedPrimaryKeyRelatedField(Mapping, as_id=True, required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, default=False)
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices, required=False)
    interval_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=10, max_value=scheduling.MAX_INTERVAL_SECONDS
    )
    cron = serializers.CharField(required=False, allow_blank=True, max_length=scheduling.CRON_MAX_LENGTH)
    timezone = serializers.CharField(required=False, max_length=column_max_length(Workflow, "timezone"))
    realtime = serializers.BooleanField(required=False)
    event_types = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)

    def validate_name(self, name):
        check_unique_in_organization(request_organization(self.context), Workflow, "name", name)
        return name

    def validate(self, data):
        if not data.get("blueprint"):
            missing = [f for f in ("name", "source_stream", "destination_stream", "standard") if not data.get(f)]
            if missing:
                raise serializers.ValidationError(dict.fromkeys(missing, "Required without a blueprint."))
            problems = {}
            for field, connection, direction in (
                ("source_stream", data.get("source_connection"), "read"),
                ("destination_stream", data.get("destination_connection"), "write"),
            ):
                if connection is not None:
                    try:
                        check_stream(connection, data[field], direction)
                    except serializers.ValidationError as exc:
                        problems[field] = exc.detail
            if problems:
                raise serializers.ValidationError(problems)
        return data


class RunSerializer(ScopedModelSerializer):
    throughput = serializers.FloatField(read_only=True, allow_null=True)
    # Plain strings in the schema: another "status" enum would collide with the other apps' in drf-spectacular.
    status = serializers.CharField(read_only=True, help_text="queued, running, succeeded, partial, failed, cancelled")

    class Meta:
        model = Run
        fields = ["id", "workflow", "trigger", "params", "status", "read_mapping_version_id",
                  "write_mapping_version_id", "queued_at", "started_at", "finished_at", "attempts", "batches",
                  "cancel_requested", "read_count", "mapped_count", "written_count", "updated_count", "skipped_count",
                  "failed_count", "requests_count", "throughput", "error_summary"]  # fmt: skip
        read_only_fields = fields


class RecordOutcomeSerializer(serializers.ModelSerializer):
    outcome = serializers.CharField(read_only=True, help_text="written, updated, unchanged or failed")

    class Meta:
        model = RecordOutcome
        fields = ["id", "run", "source_key", "outcome", "reason", "destination_system", "destination_id", "created_at"]
        read_only_fields = fields


class RecordErrorSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True, help_text="open or resolved")

    class Meta:
        model = RecordError
        fields = ["id", "workflow", "run", "trace_key", "error_class", "stage", "message", "details",
                  "source_payload", "edited_payload", "status", "occurrences", "resolution", "resolved_at",
                  "resolved_by_run", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    record_errors = RecordErrorSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "record_errors"]
        read_only_fields = fields


class LineageSerializer(ScopedModelSerializer):
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)

    class Meta:
        model = Lineage
        fields = ["id", "workflow", "workflow_name", "run", "source_key", "source_system", "source_id",
                  "destination_system", "destination_stream", "destination_id", "read_mapping_version_id",
                  "write_mapping_version_id", "action", "details", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class BackfillSerializer(serializers.Serializer):
    since = serializers.DateField()


class RetrySerializer(serializers.Serializer):
    edited_payload = serializers.JSONField(
        required=False, help_text="A corrected source record: an object shaped like the source stream's records."
    )

    def validate_edited_payload(self, payload):
        from workflows.edits import edit_problems

        problems = edit_problems(self.context["record_error"], payload)
        if "edited_payload" in problems:
            raise serializers.ValidationError(problems["edited_payload"])
        if problems:  # nested under edited_payload by DRF: edited_payload.<field>
            raise serializers.ValidationError({k.removeprefix("edited_payload."): v for k, v in problems.items()})
        return payload


class BulkIdsSerializer(serializers.Serializer):
    ids = ScopedPrimaryKeyRelatedField(RecordError, many=True, allow_empty=False, max_length=1000)
