"""Operator console for workflows, runs and record errors; admin actions call the same actions as the API."""

from __future__ import annotations

from django.contrib import admin, messages

from ekyam.admin_scoping import OrgScopedAdmin, OrgScopedInline, ScopedAdminForm
from workflows import actions, mappings
from workflows.models import (
    Lineage,
    RecordError,
    RecordErrorStatus,
    RecordOutcome,
    Run,
    StreamCursor,
    Workflow,
    WorkflowNode,
)


class NodeForm(ScopedAdminForm):
    """Mapping references are plain ids: each must be a mapping of the workflow's organization."""

    def clean(self):
        cleaned = super().clean()
        workflow = getattr(self.instance, "workflow", None)
        for name in ("read_mapping_id", "write_mapping_id"):
            mapping_id = cleaned.get(name)
            if mapping_id is not None and (
                workflow is None or not mappings.belongs_to(mapping_id, workflow.organization)
            ):
                self.add_error(name, f"Mapping {mapping_id} not found.")
        return cleaned


class NodeInline(OrgScopedInline, admin.TabularInline):
    model = WorkflowNode
    form = NodeForm
    extra = 0
    fields = ["key", "kind", "label", "connection", "stream", "builtin", "read_mapping_id", "write_mapping_id"]
    readonly_fields = ["key", "kind", "builtin"]


@admin.register(Workflow)
class WorkflowAdmin(OrgScopedAdmin):
    list_display = ["name", "organization", "enabled", "status_state", "status_reason", "schedule_kind", "realtime"]
    list_filter = ["enabled", "status_state", "schedule_kind"]
    search_fields = ["name"]
    readonly_fields = ["periodic_task", "status_state", "status_reason", "status_changed_at", "consecutive_failures"]
    inlines = [NodeInline]
    actions = ["run_now", "pause", "resume"]

    @admin.action(description="Run now")
    def run_now(self, request, queryset):
        for workflow in queryset:
            actions.run_now(workflow)
        messages.success(request, f"Queued {queryset.count()} run(s).")

    @admin.action(description="Pause")
    def pause(self, request, queryset):
        for workflow in queryset:
            actions.pause_workflow(workflow, reason=f"Paused by {request.user} (admin).")

    @admin.action(description="Resume")
    def resume(self, request, queryset):
        for workflow in queryset:
            actions.resume_workflow(workflow)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        actions.update_workflow(obj)  # keeps the Beat schedule and the derived status in step

    def delete_model(self, request, obj):
        actions.delete_workflow(obj)

    def delete_queryset(self, request, queryset):
        for workflow in queryset:
            actions.delete_workflow(workflow)


@admin.register(Run)
class RunAdmin(OrgScopedAdmin):
    list_display = ["pk", "workflow", "trigger", "status", "started_at", "finished_at", "records"]
    list_filter = ["status", "trigger"]
    readonly_fields = [f.name for f in Run._meta.fields]
    actions = ["cancel"]

    @admin.display(description="Records")
    def records(self, run) -> str:
        created = run.written_count - run.updated_count
        return (
            f"read {run.read_count} · written {created} · updated {run.updated_count} · "
            f"unchanged {run.skipped_count} · failed {run.failed_count}"
        )

    @admin.action(description="Cancel (at the next batch boundary)")
    def cancel(self, request, queryset):
        for run in queryset:
            actions.cancel_run(run)


@admin.register(RecordError)
class RecordErrorAdmin(OrgScopedAdmin):
    list_display = ["pk", "workflow", "trace_key", "error_class", "status", "occurrences", "short_message"]
    list_filter = ["status", "error_class", "stage"]
    search_fields = ["trace_key", "message"]
    readonly_fields = ["workflow", "run", "trace_key", "error_class", "stage", "message", "details", "source_payload",
                       "status", "occurrences", "resolution", "resolved_at", "resolved_by_run"]  # fmt: skip
    actions = ["retry", "resolve"]

    @admin.display(description="Message")
    def short_message(self, error) -> str:
        return error.message if len(error.message) <= 120 else error.message[:119] + "…"

    @admin.action(description="Retry")
    def retry(self, request, queryset):
        by_workflow: dict[int, list] = {}
        for error in queryset.filter(status=RecordErrorStatus.OPEN):
            by_workflow.setdefault(error.workflow_id, []).append(error)
        for errors in by_workflow.values():
            actions.retry_record_errors(errors)
        messages.success(request, f"Queued {len(by_workflow)} retry run(s).")

    @admin.action(description="Resolve")
    def resolve(self, request, queryset):
        messages.success(request, f"Resolved {actions.resolve_record_errors(list(queryset))} error(s).")


@admin.register(Lineage)
class LineageAdmin(OrgScopedAdmin):
    list_display = ["source_key", "destination_system", "destination_id", "workflow", "run", "action", "updated_at"]
    search_fields = ["source_key", "source_id", "destination_id"]
    readonly_fields = [f.name for f in Lineage._meta.fields]


@admin.register(RecordOutcome)
class RecordOutcomeAdmin(OrgScopedAdmin):
    list_display = ["source_key", "outcome", "reason", "run", "created_at"]
    list_filter = ["outcome"]
    search_fields = ["source_key", "destination_id"]
    readonly_fields = [f.name for f in RecordOutcome._meta.fields]


@admin.register(StreamCursor)
class StreamCursorAdmin(OrgScopedAdmin):
    list_display = ["workflow", "stream", "cursor", "updated_at"]
