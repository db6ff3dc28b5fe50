"""The one way the API accepts a reference to another object: an id resolved through the caller's
organization scope (`ekyam.tenancy.scoped`).

Every id a request body carries (a connection, mapping, mapping version, lookup table, endpoint, record
error, dead letter, run, membership …) goes through `ScopedPrimaryKeyRelatedField`; filters on ids go
through `ScopedFilterBackend`. An id of another organization and an id that does not exist get the same
answer, word for word, so ids cannot be probed. `tests/foundation/test_reference_sweep.py` walks every
serializer and filter of the API and fails on an id-accepting field that bypasses these.
"""

from __future__ import annotations

from django.db.models import Model
from django_filters import rest_framework as filters
from django_filters.filters import QuerySetRequestMixin
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from ekyam.tenancy import scoped

NOT_FOUND = "{label} {pk_value} not found."


def _label(model: type[Model]) -> str:
    return str(model._meta.verbose_name).capitalize()


def request_organization(context_or_request):
    request = context_or_request.get("request") if isinstance(context_or_request, dict) else context_or_request
    return getattr(request, "organization", None)


class ScopedManyRelatedField(serializers.ManyRelatedField):
    """A list of scoped ids, resolved in one query; every unknown id is named in one message."""

    def __init__(self, *args, max_length: int | None = None, **kwargs):
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) or not hasattr(data, "__iter__") or isinstance(data, dict):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if not self.allow_empty and not data:
            self.fail("empty")
        if self.max_length is not None and len(data) > self.max_length:
            raise serializers.ValidationError(f"Send at most {self.max_length} ids.")
        child = self.child_relation
        pks = [child.coerce_pk(item) for item in data]
        found = {obj.pk: obj for obj in child.get_queryset().filter(pk__in=set(pks))}
        missing = [pk for pk in dict.fromkeys(pks) if pk not in found]
        if missing:
            raise serializers.ValidationError(
                NOT_FOUND.format(
                    label=_label(child.model) + ("s" if len(missing) > 1 else ""),
                    pk_value=", ".join(str(pk) for pk in missing),
                )  # fmt: skip
            )
        return [found[pk].pk if child.as_id else found[pk] for pk in pks]


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of `model` in the caller's organization.

    `as_id=True` is for models that keep a reference as a plain integer column (e.g. a workflow node's
    `read_mapping_id`): the id is checked through the scope and the validated value is the id itself.
    """

    default_error_messages = {
        "does_not_exist": NOT_FOUND,
        "incorrect_type": "Expected an id (an integer), got {data_type}.",
    }

    def __init__(self, model: type[Model] | None = None, *, as_id: bool = False, **kwargs):
        queryset = kwargs.pop("queryset", None)
        self.model = model or (queryset.model if queryset is not None else None)
        self.as_id = as_id
        super().__init__(**kwargs)
        if self.model is not None:
            self.error_messages = {
                **self.error_messages,
                "does_not_exist": NOT_FOUND.replace("{label}", _label(self.model)),
            }

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"max_length": kwargs.pop("max_length", None)}
        for key in MANY_RELATION_KWARGS:
            if key in kwargs:
                list_kwargs[key] = kwargs[key]
        list_kwargs["child_relation"] = cls(*args, **{k: v for k, v in kwargs.items() if k != "allow_empty"})
        return ScopedManyRelatedField(**list_kwargs)

    def get_queryset(self):
        return scoped(self.model, request_organization(self.context))

    def coerce_pk(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)

    def to_internal_value(self, data):
        pk = self.coerce_pk(data)
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            self.fail("does_not_exist", pk_value=pk)
        return obj.pk if self.as_id else obj

    def to_representation(self, value):
        return value if self.as_id or isinstance(value, int) else value.pk

    def use_pk_only_optimization(self):
        return not self.as_id


class ScopedModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose generated foreign-key fields are scoped references."""

    serializer_related_field = ScopedPrimaryKeyRelatedField


class ScopedFilterBackend(filters.DjangoFilterBackend):
    """django-filter, with every filter on a related object (`?workflow=`, `?endpoint=` …) choosing only
    among the caller's organization's objects: a foreign id is "not found" like a missing one."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            scope_filterset(filterset, request_organization(request))
        return filterset


def scope_filterset(filterset, organization) -> None:
    for filter_ in filterset.filters.values():
        if isinstance(filter_, QuerySetRequestMixin):
            queryset = filter_.queryset
            model = queryset.model if queryset is not None else filterset._meta.model
            filter_.queryset = scoped(model, organization)
            filter_.extra.setdefault(
                "error_messages", {"invalid_choice": f"{_label(model)} not found.", "invalid_pk_value": "Not an id."}
            )
        # Rebuild the form field with the scoped choices (django-filter caches it per filter).
        if hasattr(filter_, "_field"):
            del filter_._field
    if hasattr(filterset, "_form"):
        del filterset._form
