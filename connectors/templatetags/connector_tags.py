"""`{{ connection|connector }}`: the card of a connection's (or a connector slug's) connector, a plain
dict (see `connectors.cards`). Load with `{% load connector_tags %}`."""

from __future__ import annotations

from django import template

from connectors.cards import card_for

register = template.Library()


@register.filter
def connector(value) -> dict:
    return card_for(value)
