from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from ekyam import actions
from ekyam.admin_scoping import OrgScopedAdmin, ReadOnlyInline, organization_ids
from ekyam.models import ApiKey, Invitation, Membership, Organization, Role


class MembershipInline(ReadOnlyInline, admin.TabularInline):
    """Read-only: roles change on the Membership admin (through the owner rule), people join by invitation."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
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


def _role_of(request, organization_id) -> str | None:
    if request.user.is_superuser:
        return Role.OWNER  # operators act as owners, and the last-owner rule still holds for them
    membership = Membership.objects.filter(user=request.user, organization_id=organization_id).first()
    return membership.role if membership else None


def _refuse(refused: actions.MemberChangeRefused):
    raise PermissionDenied(str(refused)) from None


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    """Roles change here and on the members page through the same rule (`actions.change_member_role`);
    people join by invitation, so memberships are not added here."""

    write_role = Role.OWNER  # only owners change who belongs and with which role
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user"]

    def has_add_permission(self, request, *args):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "user", "organization"]

    def save_model(self, request, obj, form, change):
        stored = Membership.objects.get(pk=obj.pk)
        try:
            actions.change_member_role(_role_of(request, stored.organization_id), stored, obj.role)
        except actions.MemberChangeRefused as refused:
            _refuse(refused)

    def delete_model(self, request, obj):
        try:
            actions.remove_member(_role_of(request, obj.organization_id), obj)
        except actions.MemberChangeRefused as refused:
            _refuse(refused)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self.delete_model(request, membership)


@admin.register(Invitation)
class InvitationAdmin(OrgScopedAdmin):
    """Invitations are sent from the members page (the link exists only in the e-mail); here they are
    listed and can be revoked."""

    write_role = Role.ADMIN
    list_display = ["email", "organization", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["role"]
    search_fields = ["email", "organization__name"]
    fields = ["organization", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at",
              "accepted_by", "revoked_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description="Revoke selected invitations")
    def revoke_selected(self, request, queryset):
        self.act_on_each(
            request, queryset, actions.revoke_invitation, "Revoked the pending ones of {count} invitation(s)."
        )


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
        self.act_on_each(request, queryset, actions.revoke_api_key, "Revoked {count} key(s).")
