from django.contrib import admin

from ekyam.admin_scoping import OrgScopedAdmin
from ekyam.events.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(OrgScopedAdmin):
    list_display = ["type", "key", "organization", "occurred_at", "published_at"]
    list_filter = ["type", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "key"]
    readonly_fields = ["event_id", "occurred_at", "published_at"]
