from __future__ import annotations

import json

from django import forms

from ekyam.alerts.models import AlertSettings
from ekyam.events import catalog


class JSONObjectField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return json.dumps(value) if isinstance(value, dict) else value

    def to_python(self, value):
        if not value or not value.strip():
            return {}
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError('Enter a JSON object, e.g. {"vendor": "shopify"}.')
        return parsed


class ScheduleField(forms.CharField):
    """A retry schedule typed as comma-separated seconds ("0, 5, 60, 600")."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(f"{step:g}" if isinstance(step, float) else str(step) for step in value)
        return value

    def to_python(self, value):
        if not value or not value.strip():
            return []
        try:
            return [float(part) for part in value.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("Enter seconds separated by commas, e.g. 0, 5, 60, 600.") from None


class EndpointForm(forms.Form):
    url = forms.URLField(max_length=1000, label="URL", assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=catalog.type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unchecked to receive every event type.",
    )
    filter = JSONObjectField(help_text='Only events whose data fields equal these values, e.g. {"vendor": "shopify"}.')
    headers = JSONObjectField(help_text='Extra headers, e.g. {"X-Team": "ops"}.')
    rate_limit_per_second = forms.IntegerField(min_value=1, required=False, label="Rate limit (requests/second)")
    retry_schedule = ScheduleField(
        required=False,
        label="Retry schedule (seconds)",
        help_text="Waits before attempt 1, 2, …, e.g. 0, 5, 60 for a quick path to the dead-letter queue. "
        "Empty: the default schedule (8 attempts over about 27 hours).",
    )
    timeout_seconds = forms.IntegerField(
        min_value=1, max_value=60, required=False, label="Timeout (seconds)", help_text="Empty: the default."
    )
    max_concurrency = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        label="Concurrent attempts",
        help_text="At most this many requests in flight to this endpoint per delivery process. Empty: the default.",
    )
    ordered = forms.BooleanField(
        required=False,
        label="Ordered per entity",
        help_text="Messages about the same entity (event key) are attempted one at a time, in order; "
        "a failing one holds back only that entity's later messages.",
    )


class AlertSettingsForm(forms.ModelForm):
    # The stored URL is a credential and never goes back into the page: an empty field keeps it.
    slack_webhook_url = forms.URLField(
        max_length=500, required=False, assume_scheme="https", label="Slack-compatible incoming-webhook URL"
    )
    remove_slack_webhook = forms.BooleanField(required=False, label="Stop posting alerts to Slack")

    class Meta:
        model = AlertSettings
        fields = ["email_enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        masked = self.instance.masked_slack_webhook_url() if self.instance.pk else ""
        if masked:
            self.fields["slack_webhook_url"].help_text = f"Set ({masked}). Leave empty to keep it."
        else:
            del self.fields["remove_slack_webhook"]

    def save(self, commit=True):
        settings = super().save(commit=False)
        if self.cleaned_data.get("slack_webhook_url"):
            settings.slack_webhook_url = self.cleaned_data["slack_webhook_url"]
        elif self.cleaned_data.get("remove_slack_webhook"):
            settings.slack_webhook_url = ""
        if commit:
            settings.save()
        return settings
