from django.contrib import admin

from ekyam.admin_scoping import OrgScopedAdmin
from ekyam.alerts.models import Alert, AlertNotification, AlertSettings


@admin.register(Alert)
class AlertAdmin(OrgScopedAdmin):
    list_display = ["title", "kind", "count", "organization", "created_at", "last_at", "notified_at"]
    list_filter = ["kind"]
    search_fields = ["title", "reason"]


@admin.register(AlertSettings)
class AlertSettingsAdmin(OrgScopedAdmin):
    list_display = ["organization", "email_enabled", "slack_webhook", "last_notified_at"]

    @admin.display(description="Slack webhook")
    def slack_webhook(self, obj: AlertSettings) -> str:
        return obj.masked_slack_webhook_url() or "—"  # never the URL: its path is the credential


@admin.register(AlertNotification)
class AlertNotificationAdmin(OrgScopedAdmin):
    list_display = ["channel", "status", "alert_count", "recipients", "organization", "created_at"]
    list_filter = ["channel", "status"]
