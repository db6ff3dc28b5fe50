"""Operator console for reconciliation reports and dry-run plans.

Reports and plans are records of what was read and planned: their pages are read-only, their items shown
inline (read-only, the first `ITEMS_SHOWN`; the portal page pages through all of them). The one change an
operator makes is the same as on the portal: "Apply" queues the run that writes the reviewed items
(`actions.apply_report` / `actions.apply_plan`), only in organizations where the caller may write. The
reconciliation settings are edited through `actions.update_settings`, which keeps the Beat row in step.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet

from ekyam.admin_scoping import OrgScopedAdmin, ReadOnlyInline, ScopedAdminForm
from workflows.reconcile import actions
from workflows.reconcile.models import Plan, PlanItem, ReconcileSettings, Reconciliation, ReconciliationItem

ITEMS_SHOWN = 200


class _FirstItems(BaseInlineFormSet):
    """A report can hold tens of thousands of items: the change page lists the first few hundred."""

    def get_queryset(self):
        return super().get_queryset()[:ITEMS_SHOWN]


class _ItemInline(ReadOnlyInline, admin.TabularInline):
    formset = _FirstItems
    verbose_name_plural = f"items (the first {ITEMS_SHOWN}; the portal page lists them all)"
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class ReconciliationItemInline(_ItemInline):
    model = ReconciliationItem
    fields = ["label", "key", "status", "source_value", "destination_value", "units", "destination_id", "diff",
              "message", "last_written_at", "last_run_id", "apply_status", "apply_message"]  # fmt: skip


class PlanItemInline(_ItemInline):
    model = PlanItem
    fields = ["key", "action", "source_id", "destination_id", "diff", "stage", "message", "apply_status",
              "apply_message"]  # fmt: skip


class _JobAdmin(OrgScopedAdmin):
    """A report or a plan: read-only, deletable by writers, applicable through the action."""

    list_filter = ["status", "workflow"]
    date_hierarchy = "queued_at"
    actions = ["apply_selected"]
    apply_job: staticmethod  # per kind: the action that queues the applying run

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, *args):
        return False  # started from the workflow's page or the API, which queue the worker

    def has_change_permission(self, request, obj=None):
        return False

    def has_apply_permission(self, request):
        return self._may_write(request, None)

    @admin.action(description="Apply (queue the run that writes the reviewed records)", permissions=["apply"])
    def apply_selected(self, request, queryset):
        queued, refused = 0, []
        for job in queryset:
            try:
                self.apply_job(job)
                queued += 1
            except ValidationError as exc:
                refused.append(f"#{job.pk}: {' '.join(exc.messages)}")
        if queued:
            messages.success(request, f"Queued {queued} run(s).")
        if refused:
            messages.warning(request, "Not applied — " + "; ".join(refused))


@admin.register(Reconciliation)
class ReconciliationAdmin(_JobAdmin):
    list_display = ["pk", "workflow", "status", "trigger", "drift", "apply_run", "finished_at"]
    list_filter = [*_JobAdmin.list_filter, "trigger", "alerted"]
    inlines = [ReconciliationItemInline]
    apply_job = staticmethod(actions.apply_report)

    @admin.display(description="Drift")
    def drift(self, report) -> str:
        alerted = " · alerted" if report.alerted else ""
        return (
            f"{report.drifted_count} drifted · net {report.net_units:+} · {report.absolute_units} units · "
            f"{report.requests_count} requests{alerted}"
        )


@admin.register(Plan)
class PlanAdmin(_JobAdmin):
    list_display = ["pk", "workflow", "status", "planned", "apply_run", "finished_at"]
    inlines = [PlanItemInline]
    apply_job = staticmethod(actions.apply_plan)

    @admin.display(description="Planned")
    def planned(self, plan) -> str:
        return (
            f"read {plan.read_count} · create {plan.create_count} · update {plan.update_count} · "
            f"unchanged {plan.unchanged_count} · error {plan.error_count}"
        )


class ReconcileSettingsForm(ScopedAdminForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("interval_seconds") is not None:
            actions.check_interval(cleaned["interval_seconds"])  # the portal's rule, on the field
        return cleaned


@admin.register(ReconcileSettings)
class ReconcileSettingsAdmin(OrgScopedAdmin):
    """Schedule and thresholds, saved through the same action as the portal (which keeps the Beat row)."""

    form = ReconcileSettingsForm
    list_display = ["workflow", "schedule_enabled", "interval_seconds", "apply_on_schedule", "drift_count_threshold",
                    "drift_units_threshold", "updated_at"]  # fmt: skip
    list_filter = ["schedule_enabled"]
    fields = ["organization", "workflow", *actions.SETTINGS_FIELDS, "periodic_task", "updated_at"]
    readonly_fields = ["organization", "workflow", "periodic_task", "updated_at"]

    def has_add_permission(self, request, *args):
        return False  # made with the workflow's first reconciliation page or API call

    def save_model(self, request, obj, form, change):
        if not self._may_write(request, obj):
            raise PermissionDenied("Not allowed in this organization.")
        actions.update_settings(obj.workflow, **{name: getattr(obj, name) for name in actions.SETTINGS_FIELDS})
