"""`connector` turns a connection (or a connector slug) into a plain dict of its connector's facts.

Pages cannot use the connector class directly: the template engine calls callables, and calling a
class tries to build a connector. Load with `{% load connector_tags %}`."""

from __future__ import annotations

from django import template
from django.contrib.staticfiles import finders

from connectors.registry import get_connector

register = template.Library()


@register.filter
def connector(value) -> dict:
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
