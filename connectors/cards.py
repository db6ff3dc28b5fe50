"""What a page shows of a connector: a plain dict of its facts (pages cannot use the connector class
directly: the template engine calls callables, and calling a class tries to build a connector)."""

from __future__ import annotations

from django.contrib.staticfiles import finders

from connectors.registry import get_connector


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def connector_summary(cls) -> str:
    """ "NetSuite: reads Products and Shipments; no writer"."""
    readers = _join([s.name.replace("_", " ").capitalize() for s in cls.reader_streams()])
    writers = _join([s.name.replace("_", " ").capitalize() for s in cls.writer_streams()])
    reads = f"reads {readers}" if readers else "no reader"
    writes = f"writes {writers}" if writers else "no writer"
    return f"{cls.name}: {reads}; {writes}"


def connector_card(cls) -> dict:
    return {
        "slug": cls.slug,
        "name": cls.name,
        "description": cls.description,
        "logo": cls.logo if cls.logo and finders.find(cls.logo) else "",
        "summary": connector_summary(cls),
        "streams": list(cls.streams),
        "readers": cls.reader_streams(),
        "writers": cls.writer_streams(),
    }


def card_for(value) -> dict:
    """The card of a connection's (or a slug's) connector; a bare one when no such connector is installed."""
    slug = getattr(value, "connector_type", value)
    try:
        return connector_card(get_connector(str(slug)))
    except LookupError:
        return {"slug": slug, "name": str(slug), "logo": "", "summary": "", "streams": [], "readers": [], "writers": []}
