"""Admin scoping: superusers see everything; other staff see and choose only their organizations' rows,
through the same scoping helper as the rest of Ekyam.

- `OrgScopedAdmin` (every tenant model's admin) and `OrgScopedInline` (every inline; `ReadOnlyInline` for
  one that only shows rows): lists, change
  forms, every foreign-key / many-to-many choice (raw-id and autocomplete fields included), list filters
  and actions see the caller's organizations only. Writing needs the admin's `write_role` (developer by
  default) in the object's organization; a viewer gets read-only pages. A saved object may reference
  only objects of its own organization.
- `restrict_to_superusers` hides every other registered admin (Django's groups, django-celery-beat's
  periodic tasks and schedules …) from non-superusers; users are shown (read-only) only when they share
  an organization with the caller. `tests/foundation/test_admin_sweep.py` walks every registered admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from ekyam.models import Membership, Organization, Role, role_at_least


def is_tenant_model(model: type[Model]) -> bool:
    if model is Organization:
        return False
    if hasattr(model, "organization_path"):
        return True
    return any(f.name == "organization" for f in model._meta.get_fields())


def organization_path(model: type[Model]) -> str:
    return getattr(model, "organization_path", "organization")


def organization_of(obj) -> int | None:
    if isinstance(obj, Organization):
        return obj.pk
    path = organization_path(type(obj)).split("__")
    for part in path[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, f"{path[-1]}_id", None)


def organization_ids(user, minimum_role: str = Role.VIEWER) -> list[int]:
    """The organizations the user belongs to with at least `minimum_role`."""
    if not user or not user.is_authenticated:
        return []
    return [
        m.organization_id
        for m in Membership.objects.filter(user=user).only("organization_id", "role")
        if role_at_least(m.role, minimum_role)
    ]


def choices_for(model: type[Model], user, queryset: QuerySet | None = None, minimum_role: str = Role.VIEWER):
    """The rows of `model` a non-superuser may pick in a form: their organizations' rows, the users who
    share one of them, their organizations; nothing of a global model."""
    queryset = model._default_manager.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    orgs = organization_ids(user, minimum_role)
    if model is Organization:
        return queryset.filter(pk__in=orgs)
    if model is get_user_model():
        return queryset.filter(memberships__organization__in=orgs).distinct()
    if is_tenant_model(model):
        return queryset.filter(**{f"{organization_path(model)}__in": orgs})
    return queryset.none()


class ScopedAdminForm(forms.ModelForm):
    """Every reference of the saved object belongs to the object's own organization."""

    def clean(self):
        cleaned = super().clean()
        org_id = cleaned["organization"].pk if cleaned.get("organization") is not None else None
        if org_id is None and self.instance is not None and is_tenant_model(type(self.instance)):
            org_id = organization_of(self.instance)
        if org_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            if isinstance(value, Model) and is_tenant_model(type(value)) and organization_of(value) != org_id:
                self.add_error(name, "Choose an object of the same organization.")
        return cleaned


class _ScopedChoices:
    write_role = Role.DEVELOPER
    form = ScopedAdminForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = choices_for(db_field.remote_field.model, request.user, kwargs.get("queryset"),
                                         self._choice_role(db_field.remote_field.model))  # fmt: skip
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = choices_for(db_field.remote_field.model, request.user, kwargs.get("queryset"),
                                         self._choice_role(db_field.remote_field.model))  # fmt: skip
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choice_role(self, model):
        # The organization a new or changed object goes to: only one the caller may write in.
        return self.write_role if model is Organization else Role.VIEWER

    def _may_write(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        writable = organization_ids(request.user, self.write_role)
        if obj is None:
            return bool(writable)
        return organization_of(obj) in writable


class OrgScopedAdmin(_ScopedChoices, admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{organization_path(self.model)}__in": organization_ids(request.user)})

    def response_action(self, request, queryset):
        # Bulk actions touch only rows of organizations where the caller may write.
        if not request.user.is_superuser:
            writable = organization_ids(request.user, self.write_role)
            queryset = queryset.filter(**{f"{organization_path(self.model)}__in": writable})
        return super().response_action(request, queryset)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and self._may_write(request, None)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser and not organization_ids(request.user, self.write_role):
            return {}  # a viewer runs no bulk action
        return actions

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        has_org = any(f.name == "organization" for f in self.model._meta.fields)
        if obj is not None and has_org and not request.user.is_superuser and "organization" not in fields:
            fields.append("organization")  # an object never moves to another organization
        return fields

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            if organization_path(self.model) == "organization" and "organization" not in filters:
                filters.insert(0, "organization")
            return filters
        # A foreign-key filter lists only the related rows present in the caller's (scoped) list.
        model = self.model
        scoped_filters = []
        for item in filters:
            if isinstance(item, str) and "__" not in item and model._meta.get_field(item).is_relation:
                scoped_filters.append((item, admin.RelatedOnlyFieldListFilter))
            else:
                scoped_filters.append(item)
        return scoped_filters

    def save_model(self, request, obj, form, change):
        if not self._may_write(request, obj):
            raise PermissionDenied("Not allowed in this organization.")
        super().save_model(request, obj, form, change)

    def act_on_each(self, request, queryset, act, done: str) -> None:
        """A bulk action: `act` on every selected row, then `done` told to the user (`{count}`: how many were
        selected)."""
        for obj in queryset:
            act(obj)
        self.message_user(request, done.format(count=queryset.count()))


class OrgScopedInline(_ScopedChoices):
    """Mix into every inline (before TabularInline/StackedInline)."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._may_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)


class ReadOnlyInline(OrgScopedInline):
    """An inline that only shows rows: they are added, changed and removed elsewhere."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def restrict_to_superusers(site: admin.AdminSite) -> None:
    """Every registered admin that is not organization-scoped becomes superuser-only, except users,
    which other staff see read-only when they share an organization."""
    user_model = get_user_model()
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, OrgScopedAdmin) or model is Organization:
            continue
        if model is user_model:
            _scope_user_admin(model_admin)
            continue
        for name in ("has_module_permission", "has_view_permission", "has_add_permission",
                     "has_change_permission", "has_delete_permission"):  # fmt: skip
            _superuser_only(model_admin, name)


def _superuser_only(model_admin, name):
    original = getattr(model_admin, name)

    def check(request, *args, **kwargs):
        return request.user.is_active and request.user.is_superuser and original(request, *args, **kwargs)

    setattr(model_admin, name, check)


def _scope_user_admin(model_admin):
    original_queryset = model_admin.get_queryset
    original_view = model_admin.has_view_permission

    def get_queryset(request):
        queryset = original_queryset(request)
        return queryset if request.user.is_superuser else choices_for(queryset.model, request.user, queryset)

    def has_view_permission(request, obj=None):
        if request.user.is_superuser:
            return original_view(request, obj)
        return request.user.is_active and request.user.is_staff and bool(organization_ids(request.user))

    model_admin.get_queryset = get_queryset
    model_admin.has_view_permission = has_view_permission
    model_admin.has_module_permission = has_view_permission
    for name in ("has_add_permission", "has_change_permission", "has_delete_permission"):
        _superuser_only(model_admin, name)
