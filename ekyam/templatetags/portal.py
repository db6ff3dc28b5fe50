"""Template helpers of the portal pages (the connector facts filter is `connectors`' own: `connector_tags`)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def accessible(bound_field):
    """The field's widget tied to its help text and its errors (aria-describedby) and marked invalid
    when it has errors, so screen readers read the reason next to the input."""
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        described_by.append(f"{bound_field.auto_id}_errors")
    attrs = {}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)
