"""Checks the serializers share, so bad input is a 400 naming the field rather than a database error.

- `column_max_length`: a plain serializer's text field gets the length of the column it ends up in.
- `check_unique_in_organization`: names unique per organization are checked before the write (the
  database constraint still holds; a race is answered 409 by `ekyam.api.errors`).
- `check_stream`: a stream name the connection's connector really has, in the right direction.
- `MAX_ID`: ids are 64-bit; a larger number cannot be an id of anything.
"""

from __future__ import annotations

from django.db.models import Model
from rest_framework import serializers

from ekyam.tenancy import scoped

MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1


def column_max_length(model: type[Model], field: str) -> int:
    return model._meta.get_field(field).max_length


def check_unique_in_organization(
    organization, model: type[Model], field: str, value, *, instance: Model | None = None, label: str | None = None
) -> None:
    taken = scoped(model, organization).filter(**{field: value})
    if instance is not None and instance.pk is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        what = label or str(model._meta.verbose_name)
        raise serializers.ValidationError(f"A {what} with this {field} already exists in your organization.")


def check_stream(connection, stream: str, direction: str) -> None:
    """A ValidationError (for the stream field) unless the connection's connector has that stream."""
    try:
        streams = [s for s in connection.connector_class.streams if s.direction == direction]
    except LookupError:
        return  # an unknown connector type is reported on its own field
    names = [s.name for s in streams]
    if stream not in names:
        kind = "reader" if direction == "read" else "writer"
        known = ", ".join(names) or "none"
        raise serializers.ValidationError(f"{connection.name} has no {kind} stream {stream!r}; known: {known}.")
