from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from ekyam.admin_scoping import OrgScopedAdmin, OrgScopedInline
from webhooks import actions
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message
from webhooks.retries import describe_schedule


class EndpointAdminForm(forms.ModelForm):
    class Meta:
        model = Endpoint
        fields = ["retry_schedule", "timeout_seconds", "max_concurrency"]  # the admin adds the rest

    def clean(self):
        data = super().clean()
        errors: dict[str, list[str]] = {}
        actions.check_delivery_settings(
            errors, data.get("retry_schedule"), data.get("timeout_seconds"), data.get("max_concurrency")
        )
        if errors:
            raise ValidationError(errors)
        return data


@admin.register(Endpoint)
class EndpointAdmin(OrgScopedAdmin):
    form = EndpointAdminForm
    list_display = ["url", "organization", "is_active", "retries", "ordered", "failing_since"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "custom_headers", "secret_revealed_at", "disabled_at", "failing_since", "consecutive_failed_messages"
    ]  # fmt: skip
    exclude = ["secrets_encrypted", "headers_encrypted"]
    actions = ["disable_selected", "enable_selected"]

    @admin.display(description="Retries")
    def retries(self, endpoint) -> str:
        summary = describe_schedule(endpoint.retry_schedule)
        own = "own" if summary["own"] else "default"
        return f"{summary['attempts']} attempts over {summary['total_seconds']:g} s ({own})"

    @admin.display(description="Custom headers (masked)")
    def custom_headers(self, obj):
        return format_html_join("", "<div><code>{}</code>: {}</div>", sorted(obj.masked_headers().items())) or "—"

    def has_add_permission(self, request):
        return False  # endpoints get their secret through actions.create_endpoint (portal or API)

    @admin.action(description="Disable selected endpoints")
    def disable_selected(self, request, queryset):
        count = sum(actions.disable_endpoint(e, f"Disabled by {request.user} in the admin.") for e in queryset)
        self.message_user(request, f"Disabled {count} endpoint(s).")

    @admin.action(description="Enable selected endpoints (their held messages are delivered)")
    def enable_selected(self, request, queryset):
        self.act_on_each(request, queryset, actions.enable_endpoint, "Enabled {count} endpoint(s).")


class AttemptInline(OrgScopedInline, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "trigger", "status", "status_code", "duration_ms", "error", "created_at"]
    exclude = ["organization", "response_body"]


@admin.register(Message)
class MessageAdmin(OrgScopedAdmin):
    list_display = ["webhook_id", "event_type", "organization", "occurred_at", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["webhook_id", "event_id"]
    readonly_fields = ["event_id", "webhook_id", "event_type", "body", "occurred_at", "published_at", "created_at"]


@admin.register(Delivery)
class DeliveryAdmin(OrgScopedAdmin):
    list_display = ["pk", "message", "endpoint", "status", "attempt_count", "next_attempt_at", "last_result"]
    list_filter = ["status"]
    raw_id_fields = ["message", "endpoint"]
    readonly_fields = ["claim_token", "claimed_until", "delivered_at"]
    inlines = [AttemptInline]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(OrgScopedAdmin):
    list_display = ["delivery", "number", "trigger", "status", "status_code", "duration_ms", "created_at"]
    list_filter = ["status", "trigger"]
    raw_id_fields = ["delivery"]


@admin.register(DeadLetter)
class DeadLetterAdmin(OrgScopedAdmin):
    list_display = ["event_type", "endpoint", "organization", "status", "short_reason", "created_at"]
    list_filter = ["status", "event_type"]
    raw_id_fields = ["delivery", "endpoint"]
    readonly_fields = ["payload", "attempts", "reason", "created_at", "replayed_at"]
    actions = ["replay_selected"]

    @admin.display(description="Reason")
    def short_reason(self, dead) -> str:
        return dead.reason if len(dead.reason) <= 120 else dead.reason[:119] + "…"

    @admin.action(description="Replay selected dead letters")
    def replay_selected(self, request, queryset):
        self.message_user(request, f"Replaying {actions.replay_dead_letters(queryset)} message(s).")
