"""Every bad input of the API answers a clear 4xx in the one error shape (issue examples, one test each)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from connectors.models import Connection
from connectors.registry import get_connector
from ekyam.api.errors import api_exception_handler
from ekyam.models import Role
from workflows import actions as workflow_actions
from workflows.models import ErrorClass, RecordError, Run, Trigger, Workflow

SANDBOX_URLS = {"whiplash": "http://127.0.0.1:9", "shopify": "http://127.0.0.1:9", "netsuite": "http://127.0.0.1:9"}


def _connection(org, slug, name=None):
    connector = get_connector(slug)
    connection = Connection(organization=org, connector_type=slug, name=name or f"{connector.name} sandbox")
    connection.set_credentials(connector.sandbox_credentials(SANDBOX_URLS[slug]))
    connection.save()
    return connection


@pytest.fixture
def api(org_a, key_client_for):
    return key_client_for(org_a, Role.OWNER)


@pytest.fixture
def connections(org_a):
    return {slug: _connection(org_a, slug) for slug in ("whiplash", "shopify")}


@pytest.fixture
def workflow(org_a, connections):
    return workflow_actions.create_from_blueprint(
        org_a,
        "inventory-sync",
        source_connection=connections["whiplash"],
        destination_connection=connections["shopify"],
    )


def _post(api, url, body, method="post"):
    return getattr(api, method)(url, data=json.dumps(body), content_type="application/json")


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"} and error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


# --- body limits ------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_answers_413_on_any_endpoint(api, workflow, connections, settings):
    big = {"name": "x", "description": "y" * (settings.API_MAX_BODY_BYTES + 10)}
    error = assert_error(_post(api, "/api/v1/workflows/", big), 413)
    assert error["code"] == "too_large" and "2.5 MiB" in error["message"]
    assert_error(_post(api, f"/api/v1/connections/{connections['whiplash'].pk}/", big, "patch"), 413)
    assert_error(_post(api, f"/api/v1/workflows/{workflow.pk}/", big, "patch"), 413)


def test_a_body_at_the_limit_is_parsed(api, workflow, settings):
    description = "d" * (settings.API_MAX_BODY_BYTES - 100)
    response = _post(api, f"/api/v1/workflows/{workflow.pk}/", {"description": description}, "patch")
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("depth", [33, 100_000])
def test_json_nested_too_deep_answers_400(api, depth):
    body = "[" * depth + "]" * depth
    response = api.post("/api/v1/lookup-tables/", data=body, content_type="application/json")
    error = assert_error(response, 400)
    assert "nested deeper than 32" in json.dumps(error)


def test_json_nested_within_the_limit_is_accepted(api):
    values = {"A": "a"}
    nested = {"name": "deep", "values": values, "description": ""}
    response = _post(api, "/api/v1/lookup-tables/", nested)
    assert response.status_code == 201


def test_a_form_body_answers_415(api):
    response = api.post(
        "/api/v1/lookup-tables/", data="name=t&values=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415)


def test_invalid_json_and_nan_answer_400(api):
    assert_error(api.post("/api/v1/lookup-tables/", data="{nope", content_type="application/json"), 400)
    body = '{"name": "t", "values": {"a": NaN}}'
    assert_error(api.post("/api/v1/lookup-tables/", data=body, content_type="application/json"), 400)


# --- NUL characters and long query values -----------------------------------------------------------------


def test_nul_in_webhook_endpoint_headers_answers_400_naming_the_header(api):
    body = {"url": "https://example.com/hook", "event_types": [], "headers": {"X-Team": "a\x00b"}}
    assert_error(_post(api, "/api/v1/webhook-endpoints/", body), 400, "headers.X-Team")


def test_nul_in_a_key_answers_400(api):
    assert_error(_post(api, "/api/v1/lookup-tables/", {"name": "t", "values": {"a\x00": "b"}}), 400)


def test_nul_or_over_long_query_values_answer_400(api, settings):
    assert_error(api.get("/api/v1/lineage/", {"q": "a\x00b"}), 400, "q")
    assert_error(api.get("/api/v1/lineage/", {"q": "x" * (settings.API_MAX_QUERY_VALUE_LENGTH + 1)}), 400, "q")
    assert api.get("/api/v1/lineage/", {"q": "order-1"}).status_code == 200


# --- missing and over-long fields, integer bounds ---------------------------------------------------------


def test_a_lookup_table_without_values_answers_400(api):
    assert_error(_post(api, "/api/v1/lookup-tables/", {"name": "t"}), 400, "values")


@pytest.fixture
def custom_flow(connections) -> dict:
    """A valid body for a new workflow, Whiplash inventory → Shopify inventory."""
    return {
        "name": "Custom flow",
        "source_connection": connections["whiplash"].pk,
        "source_stream": "inventory",
        "destination_connection": connections["shopify"].pk,
        "destination_stream": "inventory",
        "standard": "inventory_level",
    }


def test_over_long_strings_and_huge_integers_answer_400(api, workflow, custom_flow):
    base = custom_flow
    assert_error(_post(api, "/api/v1/workflows/", {**base, "source_stream": "s" * 200}), 400, "source_stream")
    cron = {"schedule_kind": "cron", "cron": "1," * 70 + "1 * * * *"}
    assert_error(_post(api, "/api/v1/workflows/", {**base, **cron}), 400, "cron")
    assert_error(_post(api, f"/api/v1/workflows/{workflow.pk}/", cron, "patch"), 400, "cron")
    interval = {"schedule_kind": "interval", "interval_seconds": 10**12}
    assert_error(_post(api, "/api/v1/workflows/", {**base, **interval}), 400, "interval_seconds")
    assert_error(_post(api, f"/api/v1/workflows/{workflow.pk}/", interval, "patch"), 400, "interval_seconds")
    assert_error(_post(api, "/api/v1/workflows/", {**base, "read_mapping_id": 10**20}), 400, "read_mapping_id")
    assert_error(_post(api, f"/api/v1/workflows/{workflow.pk}/nodes/source/", {"read_mapping_id": 10**20}, "patch"),
                 400, "read_mapping_id")  # fmt: skip
    assert not Workflow.objects.filter(name="Custom flow").exists()


def test_stream_names_the_connector_does_not_have_answer_400(api, workflow, connections, custom_flow):
    body = {**custom_flow, "source_stream": "invoices"}
    error = assert_error(_post(api, "/api/v1/workflows/", body), 400, "source_stream")
    assert "known: inventory, products, orders" in error["fields"]["source_stream"][0]
    assert_error(
        _post(api, f"/api/v1/workflows/{workflow.pk}/nodes/source/", {"stream": "invoices"}, "patch"), 400, "stream"
    )
    mapping = {
        "connection": connections["whiplash"].pk,
        "stream": "invoices",
        "direction": "read",
        "standard": "product",
    }
    assert_error(_post(api, "/api/v1/mappings/", mapping), 400, "stream")


# --- cron expressions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cron", ["99 99 99 99 99", "a b c d e", "*/0 * * * *", "* * *"])
def test_invalid_cron_expressions_are_refused(api, workflow, cron):
    assert_error(_post(api, f"/api/v1/workflows/{workflow.pk}/", {"schedule_kind": "cron", "cron": cron}, "patch"),
                 400, "cron")  # fmt: skip
    workflow.refresh_from_db()
    assert workflow.cron != cron


def test_a_valid_cron_expression_is_saved(api, workflow):
    response = _post(
        api, f"/api/v1/workflows/{workflow.pk}/", {"schedule_kind": "cron", "cron": "0 9 * * mon-fri"}, "patch"
    )
    assert response.status_code == 200, response.content
    assert response.json()["cron"] == "0 9 * * mon-fri"


# --- names unique per organization ------------------------------------------------------------------------


def test_a_duplicate_workflow_name_answers_400_naming_the_field(api, workflow, connections):
    body = {
        "blueprint": "inventory-sync",
        "name": workflow.name,
        "source_connection": connections["whiplash"].pk,
        "destination_connection": connections["shopify"].pk,
    }
    assert_error(_post(api, "/api/v1/workflows/", body), 400, "name")
    other = workflow_actions.create_from_blueprint(
        workflow.organization, "inventory-sync", name="Second", source_connection=connections["whiplash"],
        destination_connection=connections["shopify"],
    )  # fmt: skip
    assert_error(_post(api, f"/api/v1/workflows/{other.pk}/", {"name": workflow.name}, "patch"), 400, "name")
    assert_error(_post(api, f"/api/v1/workflows/{other.pk}/", {"name": workflow.name}, "put"), 400, "name")
    assert _post(api, f"/api/v1/workflows/{workflow.pk}/", {"name": workflow.name}, "patch").status_code == 200


def test_a_duplicate_connection_name_on_patch_answers_400(api, connections):
    whiplash, shopify = connections["whiplash"], connections["shopify"]
    assert_error(_post(api, f"/api/v1/connections/{shopify.pk}/", {"name": whiplash.name}, "patch"), 400, "name")


def test_a_uniqueness_race_the_serializer_missed_answers_409_naming_the_field(workflow):
    try:
        with transaction.atomic():
            Workflow.objects.create(organization=workflow.organization, name=workflow.name)
    except IntegrityError as exc:
        response = api_exception_handler(exc, {})
    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"
    assert list(response.data["error"]["fields"]) == ["name"]


# --- a retry's edited record ------------------------------------------------------------------------------


@pytest.fixture
def record_error(workflow):
    run = Run.objects.create(organization=workflow.organization, workflow=workflow, trigger=Trigger.MANUAL)
    return RecordError.objects.create(
        organization=workflow.organization, workflow=workflow, run=run, trace_key="whiplash:inventory:1",
        error_class=ErrorClass.VALIDATION, stage="read_mapping", message="bad quantity",
        source_payload={"id": 1, "sku": "TEE-1", "quantity": "lots", "bin": {"aisle": "A", "shelf": 1}},
    )  # fmt: skip


@pytest.mark.parametrize(
    "edit, field",
    [
        ([1, 2], "edited_payload"),
        ("x", "edited_payload"),
        ({}, "edited_payload"),
        ({"id": 1, "sku": "TEE-1", "quantity": "7"}, "edited_payload.quantity"),
        ({"id": 1, "sku": ["TEE-1"], "quantity": 7}, "edited_payload.sku"),
        ({"id": 1, "sku": "TEE-1", "quantity": 7, "bin": "A-1"}, "edited_payload.bin"),
        ({"id": 1, "sku": "TEE\x00", "quantity": 7}, "edited_payload.sku"),
    ],
)
def test_a_bad_edit_is_refused_and_never_stored(api, record_error, edit, field):
    assert_error(_post(api, f"/api/v1/record-errors/{record_error.pk}/retry/", {"edited_payload": edit}), 400, field)
    record_error.refresh_from_db()
    assert record_error.edited_payload is None
    assert not Run.objects.filter(trigger=Trigger.RETRY).exists()


def test_a_good_edit_is_stored_and_queued(api, record_error):
    edit = {"id": 1, "sku": "TEE-1", "quantity": 7, "bin": {"aisle": "A", "shelf": "2"}}
    response = _post(api, f"/api/v1/record-errors/{record_error.pk}/retry/", {"edited_payload": edit})
    assert response.status_code == 202, response.content
    record_error.refresh_from_db()
    assert record_error.edited_payload == edit


def test_ids_beyond_64_bits_are_not_found_anywhere(api, workflow):
    assert_error(_post(api, "/api/v1/record-errors/retry/", {"ids": [10**20]}), 400, "ids")
    assert_error(api.get("/api/v1/runs/", {"workflow": str(10**20)}), 400, "workflow")
    assert_error(api.get(f"/api/v1/workflows/{10**20}/"), 404)
