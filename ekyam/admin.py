from django.contrib import admin, messages

from ekyam import actions
from ekyam.admin_scoping import OrgScopedAdmin, OrgScopedInline, organization_ids
from ekyam.models import ApiKey, Membership, Organization, Role


class MembershipInline(OrgScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    write_role = Role.OWNER


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organizations: superusers create and delete them; an owner may rename theirs."""

    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk__in=organization_ids(request.user))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.pk in organization_ids(request.user, Role.OWNER))

    @admin.display(description="Members")
    def member_count(self, obj):
        return obj.memberships.count()


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    write_role = Role.OWNER  # only owners change who belongs and with which role
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user"]


@admin.register(ApiKey)
class ApiKeyAdmin(OrgScopedAdmin):
    write_role = Role.ADMIN
    list_display = ["name", "prefix", "organization", "role", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "organization__name"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    fields = ["organization", "name", "role", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = actions.create_api_key(obj.organization, obj.name, obj.role, created_by=request.user)
        obj.pk = key.pk
        obj.prefix = key.prefix
        messages.warning(request, f"The new key is {raw} — copy it now; it will not be shown again.")

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        for key in queryset:
            actions.revoke_api_key(key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
