"""Forms of the setup wizard. The credential form is generated from the connector's `credential_fields`."""

from __future__ import annotations

from django import forms

SECRET_SAVED = "•••• saved"

# Fields that belong to one sign-in method only: {connector: {field: (choice field, value)}}. The page
# shows them only while that method is chosen (static/wizard/credentials.js); without JavaScript every
# field stays visible. The connector's spec has no such notion, so the wizard keeps it per connector.
SHOWN_WHEN = {
    "netsuite": {
        **dict.fromkeys(("consumer_key", "consumer_secret", "token_id", "token_secret"), ("auth_method", "tba")),
        **dict.fromkeys(("client_id", "certificate_id", "private_key"), ("auth_method", "oauth2")),
    },
}


class CredentialForm(forms.Form):
    """One input per credential field. Secrets are password inputs that never render a value: a secret
    already stored shows "•••• saved" as placeholder and is kept when the input is left empty."""

    name = forms.CharField(
        label="Connection name", max_length=120, help_text="How this account is called in Ekyam, e.g. “NetSuite”."
    )

    def __init__(self, connector_class, *args, stored_secrets=(), show_initial_secrets=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.connector_class = connector_class
        self.stored_secrets = set(stored_secrets)
        # Only the sandbox's published keys are ever written into a page (README lists them too).
        self.show_initial_secrets = show_initial_secrets
        for spec in connector_class.credential_fields:
            self.fields[spec.name] = self._field(spec)

    def _field(self, spec) -> forms.Field:
        help_text = spec.help_text
        if spec.choices:
            return forms.ChoiceField(
                label=spec.label, choices=spec.choices, initial=spec.default, help_text=help_text, required=False
            )
        attrs = {"autocomplete": "off", "spellcheck": "false"}
        if spec.placeholder:
            attrs["placeholder"] = spec.placeholder
        if spec.secret:
            if spec.name in self.stored_secrets:
                attrs["placeholder"] = SECRET_SAVED
                help_text = f"{help_text} Leave empty to keep the saved value.".strip()
            attrs["autocomplete"] = "new-password"
            widget: forms.Widget = forms.PasswordInput(attrs=attrs, render_value=self.show_initial_secrets)
            if spec.name == "private_key":
                widget = forms.Textarea(attrs={**attrs, "rows": 4})
        else:
            widget = forms.TextInput(attrs=attrs)
        # Required-ness depends on the connector's own rules (one auth method or another); the
        # connector validates the whole set and its messages are shown on the fields.
        return forms.CharField(
            label=spec.label, help_text=help_text, required=False, widget=widget, initial=spec.default, strip=True
        )

    def credential_fields(self):
        conditions = SHOWN_WHEN.get(self.connector_class.slug, {})
        fields = []
        for spec in self.connector_class.credential_fields:
            bound = self[spec.name]  # cached by the form: the attribute stays with it
            bound.show_when = conditions.get(spec.name)
            fields.append(bound)
        return fields

    def secret_names(self) -> set[str]:
        return {spec.name for spec in self.connector_class.credential_fields if spec.secret}

    def credentials(self) -> dict[str, str]:
        """The credentials the user typed. Empty secrets are left out so stored ones are kept."""
        values = {}
        for spec in self.connector_class.credential_fields:
            value = self.cleaned_data.get(spec.name) or ""
            if spec.secret and not value:
                continue
            values[spec.name] = value
        return values

    def add_check_failure(self, failure) -> None:
        """A failed vendor check (`connectors.lifecycle.CheckFailed`) beside the field it points at."""
        self.add_error(failure.field if failure.field in self.fields else None, failure.advice)

    def add_credential_errors(self, errors: dict) -> None:
        """Errors from `connectors.actions` (keys like `credentials.token_id`) shown on their fields."""
        for key, messages in errors.items():
            field = key.split(".", 1)[1] if key.startswith("credentials.") else key
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(field if field in self.fields else None, message)


SCHEDULE_CHOICES = (
    ("interval", "Every N minutes"),
    ("cron", "Cron expression"),
    ("none", "No schedule (manual and real-time only)"),
)


STATUS_NOTES = {
    "verified": "verified",
    "offline": "offline — re-checked on its own",
    "unverified": "not checked yet",
    "failed": "failed check — fix its keys",
}


def _streams(connection, direction: str) -> set[str]:
    try:
        specs = connection.connector_class.writer_streams() if direction == "write" else None
        specs = specs if specs is not None else connection.connector_class.reader_streams()
    except LookupError:
        return set()
    return {s.name for s in specs}


def _vendor(slug: str) -> str:
    from connectors.registry import get_connector

    try:
        return get_connector(slug).name
    except LookupError:
        return slug


def connection_label(connection) -> str:
    """The name, the connector and the last check, so a failed connection stands out in the list."""
    note = STATUS_NOTES.get(connection.status, connection.status)
    mark = "⚠ " if connection.status == "failed" else ""
    return f"{mark}{connection.name} ({connection.connector_class.name}, {note})"


class FlowForm(forms.Form):
    """Step 4: the template, the connections, the mappings and the schedule of a workflow."""

    blueprint = forms.ChoiceField(label="Template")
    name = forms.CharField(label="Workflow name", max_length=120)
    source_connection = forms.TypedChoiceField(label="Source connection", coerce=int)
    read_mapping = forms.TypedChoiceField(
        label="Reader mapping", coerce=int, required=False, empty_value=None, help_text="From step 3."
    )
    destination_connection = forms.TypedChoiceField(
        label="Destination connection", coerce=int, required=False, empty_value=None
    )
    write_mapping = forms.TypedChoiceField(
        label="Writer mapping",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="The standard record → the destination's payload. The vendor's default is used when empty.",
    )
    schedule_kind = forms.ChoiceField(label="Schedule", choices=SCHEDULE_CHOICES, initial="interval")
    interval_minutes = forms.IntegerField(label="Every (minutes)", min_value=1, required=False, initial=15)
    cron = forms.CharField(
        label="Cron expression", required=False, help_text="Five fields: minute hour day month weekday."
    )

    def __init__(self, *args, blueprints, connections, read_mappings, write_mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blueprint"].choices = [(b.slug, b.name) for b in blueprints]
        self.blueprints = {b.slug: b for b in blueprints}
        self.connections = {c.pk: c for c in connections}
        self.fields["source_connection"].choices = [
            (c.pk, connection_label(c)) for c in connections if _streams(c, "read")
        ]
        # Destinations: only connections whose connector writes (NetSuite never does).
        self.fields["destination_connection"].choices = [
            ("", "—"),
            *[(c.pk, connection_label(c)) for c in connections if _streams(c, "write")],
        ]
        self.fields["read_mapping"].choices = [("", "The connection's mapping of the stream"), *read_mappings]
        self.fields["write_mapping"].choices = [("", "The vendor's default writer mapping"), *write_mappings]

    def clean(self):
        data = super().clean()
        blueprint = self.blueprints.get(data.get("blueprint") or self.initial.get("blueprint") or "")
        destination = self.connections.get(data.get("destination_connection"))
        needs_writer = blueprint is not None and blueprint.destination_connector and destination is not None
        if needs_writer and blueprint.destination_stream not in _streams(destination, "write"):
            self.add_error(
                "destination_connection",
                f"{destination.name} ({destination.connector_class.name}) has no writer for "
                f"{blueprint.destination_stream}: choose a {_vendor(blueprint.destination_connector)} connection.",
            )
        source = self.connections.get(data.get("source_connection"))
        if blueprint is not None and source is not None and blueprint.source_stream not in _streams(source, "read"):
            self.add_error(
                "source_connection",
                f"{source.name} ({source.connector_class.name}) does not read {blueprint.source_stream}: "
                f"choose a {_vendor(blueprint.source_connector)} connection.",
            )
        kind = data.get("schedule_kind")
        if kind == "interval" and not data.get("interval_minutes"):
            self.add_error("interval_minutes", "Enter how often the flow runs, in minutes.")
        if kind == "cron" and len((data.get("cron") or "").split()) != 5:
            self.add_error("cron", "A cron expression has five fields, e.g. */15 * * * *.")
        return data

    def schedule(self) -> dict:
        kind = self.cleaned_data["schedule_kind"]
        minutes = self.cleaned_data.get("interval_minutes")
        return {
            "schedule_kind": kind,
            "interval_seconds": minutes * 60 if kind == "interval" and minutes else None,
            "cron": self.cleaned_data.get("cron", "") if kind == "cron" else "",
        }
