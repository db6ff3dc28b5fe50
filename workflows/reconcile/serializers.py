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


class ReconciliationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reconciliation
        fields = [
            "id", "workflow", "status", "trigger", "apply", "since", "standard", "source_stream",
            "destination_stream", "phase", "source_read", "destination_read", "requests_count", "totals",
            "drifted_count", "net_units", "absolute_units", "alerted", "error", "apply_run", "queued_at",
            "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReconciliationItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationItem
        fields = [
            "id", "status", "key", "source_id", "label", "destination_id", "source_value", "destination_value",
            "units", "diff", "message", "last_written_at", "last_run_id", "apply_status", "apply_message",
        ]  # fmt: skip
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
        fields = [
            "id", "workflow", "status", "since", "start_cursor", "end_cursor", "read_mapping_version_id",
            "write_mapping_version_id", "pages", "read_count", "create_count", "update_count", "unchanged_count",
            "error_count", "requests_count", "error", "apply_run", "queued_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class PlanItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanItem
        fields = [
            "id", "action", "key", "source_id", "destination_id", "diff", "message", "stage", "payload",
            "apply_status", "apply_message",
        ]  # fmt: skip
        read_only_fields = fields
