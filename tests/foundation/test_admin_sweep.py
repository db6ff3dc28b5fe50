"""The admin, the way an audit walks it: a staff user of organization B per role, holding every model
permission, against every registered admin model (lists, list filters, add/change/delete/history pages,
every foreign-key choice of every form and inline, every action, autocomplete), with organization A's rows
present. Nothing of A may be seen, chosen or changed; the global apps' pages are superuser-only.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.forms import ModelChoiceField, MultiWidget
from django.forms.models import model_to_dict

from ekyam.admin_scoping import is_tenant_model, organization_of
from ekyam.models import Organization, Role
from tests.tenancy_rows import populate

pytestmark = pytest.mark.django_db


def _url(model, suffix=""):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def _forms(response):
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets") or []:
        forms.extend(inline.formset.forms)
        forms.append(inline.formset.empty_form)
    return forms


def _foreign_choices(form, rows_a, owner_a, org_a) -> list[str]:
    leaks = []
    for name, field in form.fields.items():
        if not isinstance(field, ModelChoiceField) or name == form._meta.model._meta.pk.name:
            continue  # an inline row's own hidden id: Django looks existing rows up in the parent's rows only
        model = field.queryset.model
        if model is Organization:
            foreign = field.queryset.filter(pk=org_a.pk).exists()
        elif model is get_user_model():
            foreign = field.queryset.filter(pk=owner_a.pk).exists()
        elif is_tenant_model(model):
            assert model in rows_a, f"add a {model.__name__} row to tests/tenancy_rows.py"
            foreign = field.queryset.filter(pk=rows_a[model].pk).exists()
        else:
            foreign = field.queryset.exists()  # a global model: nothing to choose for non-superusers
        if foreign:
            leaks.append(f"{type(form).__name__}.{name} offers {model.__name__} of organization A")
    return leaks


def _post_data(response) -> dict:
    """The change form as the browser would submit it unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets") or []:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(inline.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


@pytest.fixture
def world(org_a, org_b, owner_a, owner_b):
    return populate(org_a), populate(org_b)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DEVELOPER, Role.ADMIN, Role.OWNER])
def test_every_admin_page_form_choice_and_action_is_scoped_for_staff(
    role, world, org_a, org_b, owner_a, make_member, client
):
    rows_a, rows_b = world
    staff = make_member(org_b, f"staff_{role}", role, is_staff=True)
    staff.user_permissions.set(Permission.objects.all())  # the worst case: every model permission
    client.force_login(staff)
    problems, attempts = [], 0
    user_model = get_user_model()

    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        listing = client.get(_url(model))
        attempts += 1
        if not is_tenant_model(model) and model not in (Organization, user_model):
            for url in (_url(model), _url(model, "add/")):
                if client.get(url).status_code != 403:
                    problems.append(f"{label}: {url} is open to non-superusers")
                attempts += 1
            if listing.status_code != 403:
                problems.append(f"{label}: list answered {listing.status_code}")
            continue
        if listing.status_code != 200:
            problems.append(f"{label}: list answered {listing.status_code}")
            continue
        changelist = listing.context["cl"]
        for obj in changelist.result_list:
            if model is Organization:
                seen_foreign = obj.pk == org_a.pk
            elif model is user_model:
                seen_foreign = obj.pk == owner_a.pk
            else:
                seen_foreign = organization_of(obj) != org_b.pk
            if seen_foreign:
                problems.append(f"{label}: the list shows {obj!r} of organization A")
        for spec in changelist.filter_specs:
            choices = [c[0] if isinstance(c, (tuple, list)) else c for c in getattr(spec, "lookup_choices", None) or []]
            related = getattr(getattr(spec, "field", None), "related_model", None)
            if related is not None and related in rows_a and rows_a[related].pk in choices:
                problems.append(f"{label}: the list filter {spec.title!r} offers A's {related.__name__}")

        foreign = {Organization: org_a, user_model: owner_a}.get(model) or rows_a.get(model)
        own = {Organization: org_b, user_model: staff}.get(model) or rows_b.get(model)
        assert foreign is not None and own is not None, f"add a {model.__name__} row to tests/tenancy_rows.py"
        for suffix in ("change/", "delete/", "history/"):
            response = client.get(_url(model, f"{foreign.pk}/{suffix}"))
            attempts += 1
            if response.status_code == 200:
                problems.append(f"{label}: {suffix} of A's object answered 200")
        before = model_to_dict(model._default_manager.get(pk=foreign.pk))
        for action in model_admin.get_actions(_request_for(staff)) or {}:
            client.post(_url(model), {"action": action, "_selected_action": [foreign.pk], "post": "yes", "index": 0})
            attempts += 1
            survivor = model._default_manager.filter(pk=foreign.pk).first()
            if survivor is None or model_to_dict(survivor) != before:
                problems.append(f"{label}: action {action} changed A's object")

        for url in (_url(model, "add/"), _url(model, f"{own.pk}/change/")):
            response = client.get(url)
            attempts += 1
            if response.status_code != 200:
                continue
            for form in _forms(response):
                problems.extend(f"{label} {url}: {leak}" for leak in _foreign_choices(form, rows_a, owner_a, org_a))
        change = client.get(_url(model, f"{own.pk}/change/"))
        if change.status_code == 200 and model is not user_model:
            found, tried = _resubmit_with_foreign_references(client, model, own, change, rows_a, org_a, owner_a)
            problems.extend(found)
            attempts += tried

    autocomplete = client.get(
        "/admin/autocomplete/", {"app_label": "ekyam", "model_name": "membership", "field_name": "user", "term": ""}
    )
    attempts += 1
    if autocomplete.status_code == 200:
        ids = {int(r["id"]) for r in autocomplete.json()["results"]}
        if owner_a.pk in ids:
            problems.append("the user autocomplete offers A's owner")
    assert not problems, "\n".join(problems)
    print(f"\nadmin sweep ({role}): {len(admin.site._registry)} admin models, {attempts} attempts, 0 failures")


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _resubmit_with_foreign_references(client, model, own, change, rows_a, org_a, owner_a):
    """Submit B's object's change form with each foreign-key field pointed at A's object: no row of B
    ends up referencing it."""
    from ekyam.admin_scoping import organization_path

    problems, tried = [], 0
    base = _post_data(change)
    for form in [f for f in _forms(change) if "__prefix__" not in (f.prefix or "")]:
        form_model = form._meta.model
        for name, field in form.fields.items():
            if not isinstance(field, ModelChoiceField) or name == form_model._meta.pk.name:
                continue
            target = field.queryset.model
            foreign = {Organization: org_a, get_user_model(): owner_a}.get(target) or rows_a.get(target)
            if foreign is None:
                continue
            client.post(_url(model, f"{own.pk}/change/"), {**base, form[name].html_name: str(foreign.pk)})
            tried += 1
            own_rows = form_model._default_manager.exclude(**{organization_path(form_model): org_a})
            if form_model is Organization:
                own_rows = form_model._default_manager.exclude(pk=org_a.pk)
            if own_rows.filter(**{name: foreign.pk}).exists():
                problems.append(f"{model._meta.label}: saved {form_model.__name__}.{name} = A's {target.__name__}")
    return problems, tried


def test_a_node_cannot_point_at_another_organizations_connection_or_mapping(world, org_b, make_member, client):
    from connectors.mapping.models import Mapping
    from connectors.models import Connection
    from workflows.models import Workflow

    rows_a, rows_b = world
    staff = make_member(org_b, "staff_dev", Role.DEVELOPER, is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    workflow = rows_b[Workflow]
    change = client.get(_url(Workflow, f"{workflow.pk}/change/"))
    data = _post_data(change)
    prefix = next(k for k in data if k.endswith("-0-connection")).rsplit("-", 1)[0]
    for key, value in ((f"{prefix}-connection", rows_a[Connection].pk),
                       (f"{prefix.rsplit('-', 1)[0]}-1-read_mapping_id", rows_a[Mapping].pk)):  # fmt: skip
        response = client.post(_url(Workflow, f"{workflow.pk}/change/"), {**data, key: str(value)})
        assert response.status_code == 200, key  # the form comes back with an error
    nodes = {n.key: n for n in workflow.nodes.all()}
    assert nodes["source"].connection_id == rows_b[Connection].pk
    assert nodes["sync"].read_mapping_id == rows_b[Mapping].pk
    saved = client.post(_url(Workflow, f"{workflow.pk}/change/"), {**data, "name": "Renamed"})
    assert saved.status_code == 302  # an unchanged resubmission saves: the refusals above were the references
