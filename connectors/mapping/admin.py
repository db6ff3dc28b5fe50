from django.contrib import admin

from connectors.mapping.models import LookupTable, Mapping, MappingVersion, SuggestionFeedback
from ekyam.admin_scoping import OrgScopedAdmin, OrgScopedInline


class MappingVersionInline(OrgScopedInline, admin.TabularInline):
    model = MappingVersion
    extra = 0
    can_delete = False
    fields = ["number", "is_complete", "missing_required", "comment", "created_by", "created_at"]
    readonly_fields = fields
    ordering = ["-number"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # versions are created by saving the mapping's rules (actions.save_mapping_version)


@admin.register(Mapping)
class MappingAdmin(OrgScopedAdmin):
    list_display = ["name", "connection", "stream", "direction", "standard", "current_version_number", "updated_at"]
    list_filter = ["direction", "standard", "connection__connector_type"]
    search_fields = ["name", "stream", "connection__name"]
    list_select_related = ["connection"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MappingVersionInline]

    @admin.display(description="Version")
    def current_version_number(self, obj):
        version = obj.current_version()
        return f"v{version.number}{'' if version.is_complete else ' (incomplete)'}" if version else "—"


@admin.register(MappingVersion)
class MappingVersionAdmin(OrgScopedAdmin):
    list_display = ["mapping", "number", "is_complete", "created_by", "created_at"]
    list_filter = ["is_complete", "mapping__standard", "mapping__direction"]
    search_fields = ["mapping__name", "comment"]
    list_select_related = ["mapping", "created_by"]
    readonly_fields = [f.name for f in MappingVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # versions are immutable


@admin.register(LookupTable)
class LookupTableAdmin(OrgScopedAdmin):
    list_display = ["name", "description", "entries", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Entries")
    def entries(self, obj):
        return len(obj.values or {})


@admin.register(SuggestionFeedback)
class SuggestionFeedbackAdmin(OrgScopedAdmin):
    list_display = ["target", "source", "standard", "direction", "accepted", "created_by", "created_at"]
    list_filter = ["accepted", "standard", "direction"]
    search_fields = ["target", "source", "source_label"]
