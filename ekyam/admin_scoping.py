"""Admin base class: operators who are superusers see everything; other staff see only the
organizations they belong to, through the same scoping helper as the rest of Ekyam."""

from __future__ import annotations

from django.contrib import admin

from ekyam.models import Organization
from ekyam.tenancy import organizations_of


class OrgScopedAdmin(admin.ModelAdmin):
    org_field = "organization"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.org_field}__in": organizations_of(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Organization and not request.user.is_superuser:
            kwargs["queryset"] = organizations_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self.org_field == "organization" and "organization" not in filters:
            filters.insert(0, "organization")
        return filters
