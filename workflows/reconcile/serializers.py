"""Serializers of reports, plans and their items (read-only) and of the requests that start them."""

from __future__ import annotations

from rest_framework import serializers

from workflows.reconcile.models import Plan, PlanItem, ReconcileSettings, Reconciliation, ReconciliationItem


class ReconcileRequestSerializer(serializers.Serializer):
    apply = serializers.BooleanField(default=False, help_text="Apply the corrections when the report is ready.")
    since = serializers.CharField(required=False, allow_blank=True, help_text="Only source records since (ISO).")


class DryRunRequestSerializer(serializers.Serializer):
    since = serializers.CharField(
        required=False, allow_blank=True, help_text="Plan a backfill from this date instead of from the cursor."
    )


def _job_fields(*own: str) -> list[str]:
    """A report's or a plan's fields: what every job has around the kind's own."""
    return ["id", "workflow", "status", *own, "requests_count", "error", "apply_run", "queued_at", "started_at",
            "finished_at"]  # fmt: skip


def _item_fields(*own: str) -> list[str]:
    return ["id", "key", "source_id", "destination_id", "diff", "message", *own, "apply_status", "apply_message"]


class ReconciliationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reconciliation
        fields = _job_fields(
            "trigger", "apply", "since", "standard", "source_stream", "destination_stream", "phase", "source_read",
            "destination_read", "totals", "drifted_count", "net_units", "absolute_units", "alerted",
        )  # fmt: skip
        read_only_fields = fields


class ReconciliationItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationItem
        fields = _item_fields(
            "status", "label", "source_value", "destination_value", "units", "last_written_at", "last_run_id"
        )
        read_only_fields = fields


class ReconcileSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconcileSettings
        fields = [
            "schedule_enabled", "interval_seconds", "apply_on_schedule", "drift_count_threshold",
            "drift_units_threshold", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = _job_fields(
            "since", "start_cursor", "end_cursor", "read_mapping_version_id", "write_mapping_version_id", "pages",
            "read_count", "create_count", "update_count", "unchanged_count", "error_count",
        )  # fmt: skip
        read_only_fields = fields


class PlanItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanItem
        fields = _item_fields("action", "stage", "payload")
        read_only_fields = fields
