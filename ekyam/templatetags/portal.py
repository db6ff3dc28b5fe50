"""Template helpers of the portal pages.

`connector` turns a connection (or a connector slug) into a plain dict of its connector's facts. Pages
cannot use the connector class directly: the template engine calls callables, and calling a class
tries to build a connector."""

from __future__ import annotations

from django import template
from django.contrib.staticfiles import finders

register = template.Library()


@register.filter
def connector(value) -> dict:
    from connectors.registry import get_connector

    slug = getattr(value, "connector_type", value)
    try:
        cls = get_connector(str(slug))
    except LookupError:
        return {"slug": slug, "name": str(slug), "logo": "", "streams": [], "readers": [], "writers": []}
    return {
        "slug": cls.slug,
        "name": cls.name,
        "description": cls.description,
        "logo": cls.logo if cls.logo and finders.find(cls.logo) else "",
        "streams": list(cls.streams),
        "readers": cls.reader_streams(),
        "writers": cls.writer_streams(),
    }


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
