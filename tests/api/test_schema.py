"""The OpenAPI schema tells the truth about shapes, nullability, errors and areas (checked on the schema;
tests/api/test_fuzz.py checks real answers against it)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from ekyam.api.schema import AREAS


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _ok_schema(schema, path, method="get", code="200"):
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def _component(schema, ref_holder):
    return schema["components"]["schemas"][ref_holder["$ref"].rsplit("/", 1)[1]]


def test_single_objects_and_results_lists_are_documented_as_they_are_returned(schema):
    assert "$ref" in _ok_schema(schema, "/api/v1/organization/")
    for path in ("/api/v1/standards/", "/api/v1/mappings/{id}/versions/"):
        shape = _component(schema, _ok_schema(schema, path))
        assert shape["properties"]["results"]["type"] == "array" and "next" not in shape["properties"], path
    streams = schema["paths"]["/api/v1/connections/{id}/streams/"]["get"]
    assert _ok_schema(schema, "/api/v1/connections/{id}/streams/")["type"] == "array"
    assert not [p for p in streams.get("parameters", []) if p["in"] == "query"]


def test_fields_that_can_be_null_are_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["MappingVersion"]["properties"]["created_by"]["nullable"]
    assert components["Node"]["properties"]["connection_name"]["nullable"]
    assert components["Run"]["properties"]["throughput"]["nullable"]


def test_every_operation_documents_its_errors_with_the_one_error_component_and_has_an_area(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("400", "401", "403", "429"):
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, code)
            if method in ("post", "put", "patch"):
                assert {"409", "413", "415"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            assert operation["tags"][0] in AREAS, (method, path, operation["tags"])
