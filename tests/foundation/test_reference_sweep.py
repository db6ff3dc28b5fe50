"""References across organizations: every id the API accepts, in a body or a filter, is resolved through
the organization scope, and another organization's id answers exactly like an id that does not exist.

The sweeps introspect every serializer of the project and every filter of every API list, so a new
id-accepting field is covered (or fails here) without anyone listing it.
"""

from __future__ import annotations

import re

import pytest
from django_filters.filters import QuerySetRequestMixin
from django_filters.utils import get_model_field
from drf_spectacular.generators import EndpointEnumerator
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.relations import ManyRelatedField, RelatedField

from connectors.mapping.models import Mapping
from connectors.models import Connection
from ekyam.api.fields import ScopedFilterBackend, ScopedManyRelatedField, ScopedPrimaryKeyRelatedField
from tests.tenancy_rows import populate, tenant_models
from workflows.models import Workflow, WorkflowNode

PROJECT_PACKAGES = ("ekyam", "connectors", "workflows", "webhooks")
ID_NAME = re.compile(r"(^|_)ids?$")


def _project_serializers() -> list[type]:
    import ekyam.urls  # noqa: F401  (imports every API module, hence every serializer)

    found, todo = [], [serializers.BaseSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        abstract = issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta")
        if cls.__module__.split(".")[0] in PROJECT_PACKAGES and not abstract:
            found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _model_words() -> set[str]:
    words = set()
    for model in tenant_models():
        words.add(model._meta.model_name)
        words.add(re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower())
    return words


def _writable_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        path = f"{prefix}{name}"
        if isinstance(field, serializers.ListSerializer):
            yield from _writable_fields(field.child, path + "[].")
        elif isinstance(field, serializers.BaseSerializer):
            yield from _writable_fields(field, path + ".")
        else:
            yield path, field


def _looks_like_id(name: str, field) -> bool:
    leaf = name.rsplit(".", 1)[-1].replace("[]", "")
    integer = isinstance(field, serializers.IntegerField) or (
        isinstance(field, serializers.ListField) and isinstance(field.child, serializers.IntegerField)
    )
    if not integer:
        return False
    return bool(ID_NAME.search(leaf)) or any(word in _model_words() for word in leaf.split("_"))


class _Request:
    def __init__(self, organization):
        self.organization = organization
        self.user = None


def _message(exc: ValidationError, *pks) -> str:
    text = str(exc.detail)
    for pk in pks:
        text = re.sub(rf"\b{pk}\b", "<id>", text)
    return text


@pytest.fixture
def two_orgs(org_a, org_b, owner_a, owner_b):
    return populate(org_a), populate(org_b)


@pytest.mark.django_db
def test_every_id_accepting_serializer_field_is_scoped_and_answers_like_a_missing_id(two_orgs, org_a, org_b):
    rows_a, rows_b = two_orgs
    unscoped, checked, attempts = [], [], 0
    for cls in _project_serializers():
        try:
            serializer = cls(context={"request": _Request(org_b)})
            fields = list(_writable_fields(serializer))
        except (TypeError, AssertionError, AttributeError) as exc:  # a serializer that cannot stand alone
            pytest.fail(f"{cls.__qualname__} could not be introspected: {exc}")
        for name, field in fields:
            label = f"{cls.__module__}.{cls.__qualname__}.{name}"
            if isinstance(field, (RelatedField, ManyRelatedField)):
                if not isinstance(field, (ScopedPrimaryKeyRelatedField, ScopedManyRelatedField)):
                    unscoped.append(f"{label} ({type(field).__name__})")
                    continue
                checked.append((label, field))
            elif _looks_like_id(name, field):
                unscoped.append(f"{label} accepts ids as a plain {type(field).__name__}")
    assert not unscoped, "id-accepting fields that bypass the organization scope:\n" + "\n".join(unscoped)
    assert len(checked) >= 8, checked  # connections, mappings (node + create), record errors, dead letters …

    for label, field in checked:
        many = isinstance(field, ScopedManyRelatedField)
        model = field.child_relation.model if many else field.model
        assert model in rows_a, f"{label}: add a {model.__name__} row to tests/tenancy_rows.py"
        foreign, own = rows_a[model].pk, rows_b[model].pk
        missing = max(model._default_manager.values_list("pk", flat=True)) + 1000
        wrap = (lambda pk: [pk]) if many else (lambda pk: pk)
        with pytest.raises(ValidationError) as foreign_error:
            field.to_internal_value(wrap(foreign))
        with pytest.raises(ValidationError) as missing_error:
            field.to_internal_value(wrap(missing))
        value = field.to_internal_value(wrap(own))  # the caller's own id resolves
        attempts += 3
        assert _message(foreign_error.value, foreign) == _message(missing_error.value, missing), label
        resolved = value[0] if many else value
        assert getattr(resolved, "pk", resolved) == own, label
    print(f"\nreference sweep (bodies): {len(checked)} fields, {attempts} attempts, 0 failures")


def _list_endpoints():
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        cls = getattr(callback, "cls", None)
        if (
            method == "GET"
            and "{" not in path
            and cls is not None
            and (getattr(callback, "actions", None) or {}).get("get") == "list"
        ):
            yield path, cls


def _filter_target(filterset_class, name, filter_):
    if isinstance(filter_, QuerySetRequestMixin):
        return filter_.queryset.model if filter_.queryset is not None else filterset_class._meta.model
    model_field = get_model_field(filterset_class._meta.model, filter_.field_name)
    if model_field is not None and model_field.is_relation:
        return model_field.related_model
    if ID_NAME.search(name) or name in _model_words():
        return "unscoped"
    return None


@pytest.mark.django_db
def test_every_id_filter_of_every_list_answers_a_foreign_id_like_a_missing_one(two_orgs, org_b, owner_b, client_for):
    rows_a, rows_b = two_orgs
    client = client_for(owner_b)
    backend = ScopedFilterBackend()
    problems, filters_checked, attempts = [], 0, 0
    for path, cls in _list_endpoints():
        view = cls()
        view.request, view.action, view.kwargs, view.format_kwarg = None, "list", {}, None
        queryset = getattr(cls, "queryset", None)
        filterset_class = backend.get_filterset_class(view, queryset) if queryset is not None else None
        if filterset_class is None:
            continue
        for name, filter_ in filterset_class.base_filters.items():
            target = _filter_target(filterset_class, name, filter_)
            if target is None:
                continue
            if target == "unscoped" or not isinstance(filter_, QuerySetRequestMixin):
                problems.append(f"{path}?{name}= filters on ids without a model choice filter")
                continue
            assert target in rows_a, f"{path}?{name}=: add a {target.__name__} row to tests/tenancy_rows.py"
            url = path.replace("{format}", "")
            missing = max(target._default_manager.values_list("pk", flat=True)) + 1000
            foreign = client.get(url, {name: rows_a[target].pk})
            absent = client.get(url, {name: missing})
            own = client.get(url, {name: rows_b[target].pk})
            attempts += 3
            filters_checked += 1
            if foreign.status_code != absent.status_code or foreign.json() != absent.json():
                problems.append(f"{url}?{name}=<foreign> {foreign.status_code} {foreign.json()} vs missing "
                                f"{absent.status_code} {absent.json()}")  # fmt: skip
            if own.status_code != 200:
                problems.append(f"{url}?{name}=<own> answered {own.status_code}")
    assert not problems, "\n".join(problems)
    assert filters_checked >= 6
    print(f"\nreference sweep (filters): {filters_checked} filters, {attempts} requests, 0 failures")


@pytest.mark.django_db
def test_a_workflow_cannot_pin_another_organizations_mapping(two_orgs, org_b, owner_b, client_for):
    rows_a, rows_b = two_orgs
    client = client_for(owner_b)
    workflow, mapping_a = rows_b[Workflow], rows_a[Mapping]
    missing = mapping_a.pk + 10_000
    url = f"/api/v1/workflows/{workflow.pk}/nodes/sync/"
    foreign = client.patch(url, {"read_mapping_id": mapping_a.pk}, format="json")
    absent = client.patch(url, {"read_mapping_id": missing}, format="json")
    assert foreign.status_code == absent.status_code == 400
    assert foreign.json()["error"]["fields"]["read_mapping_id"] == [f"Mapping {mapping_a.pk} not found."]
    assert absent.json()["error"]["fields"]["read_mapping_id"] == [f"Mapping {missing} not found."]
    assert workflow.nodes.get(key="sync").read_mapping_id == rows_b[Mapping].pk
    own = client.patch(url, {"read_mapping_id": rows_b[Mapping].pk}, format="json")
    assert own.status_code == 200 and own.json()["read_mapping_id"] == rows_b[Mapping].pk

    foreign_conn = client.patch(f"/api/v1/workflows/{workflow.pk}/nodes/source/", {"connection": rows_a[Connection].pk})
    absent_conn = client.patch(f"/api/v1/workflows/{workflow.pk}/nodes/source/", {"connection": missing})
    assert foreign_conn.status_code == absent_conn.status_code == 400

    body = {"name": "Probe", "source_connection": rows_b[Connection].pk, "source_stream": "orders",
            "destination_stream": "orders", "standard": "order"}  # fmt: skip
    created = client.post("/api/v1/workflows/", {**body, "read_mapping_id": mapping_a.pk}, format="json")
    assert created.status_code == 400 and "read_mapping_id" in created.json()["error"]["fields"]
    created = client.post("/api/v1/workflows/", {**body, "source_connection": rows_a[Connection].pk}, format="json")
    assert created.json()["error"]["fields"]["source_connection"] == [f"Connection {rows_a[Connection].pk} not found."]
    assert not Workflow.objects.filter(name="Probe").exists()


@pytest.mark.django_db
def test_the_action_refuses_a_foreign_mapping_for_every_caller(two_orgs):
    from workflows import actions

    rows_a, rows_b = two_orgs
    with pytest.raises(ValueError, match="not found"):
        actions.update_node(rows_b[WorkflowNode].workflow.nodes.get(key="sync"), read_mapping_id=rows_a[Mapping].pk)
