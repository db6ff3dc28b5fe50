"""Connections in the operator console: status at a glance, never a secret (masked values only)."""

from django.contrib import admin, messages
from django.utils.html import format_html_join

from connectors import actions
from connectors.models import Connection, InboundWebhook
from ekyam.admin_scoping import OrgScopedAdmin

# What an operator may change on a connection here; every other field on the form is shown read-only.
CONNECTION_EDITABLE_FIELDS = ("organization", "name", "concurrency_limit")


@admin.register(Connection)
class ConnectionAdmin(OrgScopedAdmin):
    list_display = [
        "name",
        "organization",
        "connector_type",
        "status",
        "last_checked_at",
        "last_error_reason",
        "concurrency_limit",
    ]
    list_filter = ["status", "connector_type", "last_error_reason"]
    search_fields = ["name", "connector_type", "organization__name", "last_error"]
    # `config` and `secrets_encrypted` are not form fields: credentials are entered through the API or
    # the wizard (write-only), and this screen shows them masked.
    fields = [
        "organization",
        "name",
        "connector_type",
        "concurrency_limit",
        "status",
        "last_checked_at",
        "last_error_reason",
        "last_error",
        "credentials",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in CONNECTION_EDITABLE_FIELDS]
    actions = ["check_selected"]

    def has_add_permission(self, request):
        return False  # a connection needs credentials: create it in the portal or through the API

    @admin.display(description="Credentials (masked)")
    def credentials(self, obj):
        masked = obj.masked_credentials() if obj.pk else {}
        return format_html_join("", "<div><code>{}</code>: {}</div>", sorted(masked.items())) or "—"

    @admin.action(description="Check selected connections now")
    def check_selected(self, request, queryset):
        results = [actions.check_connection(connection) for connection in queryset]
        ok = sum(1 for r in results if r.ok)
        level = messages.SUCCESS if ok == len(results) else messages.WARNING
        self.message_user(request, f"{ok} of {len(results)} connection(s) authenticated.", level)


@admin.register(InboundWebhook)
class InboundWebhookAdmin(OrgScopedAdmin):
    list_display = ["topic", "vendor_event_id", "connection", "status", "duplicate_count", "received_at"]
    list_filter = ["status", "topic"]
    search_fields = ["vendor_event_id"]
    raw_id_fields = ["connection"]
