"""OpenAPI description of Ekyam's API-key authentication (loaded by EkyamConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "ekyam.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key (`eky_…`), sent as `Authorization: Bearer <key>`.",
        }


class ScopedReferenceSchema(OpenApiSerializerFieldExtension):
    """A scoped reference (`ekyam.api.fields.ScopedPrimaryKeyRelatedField`) is an integer id."""

    target_class = "ekyam.api.fields.ScopedPrimaryKeyRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        return build_basic_type(OpenApiTypes.INT)


class ObjectResponseSchema(AutoSchema):
    """For a viewset whose `list` answers one object (e.g. `{"results": [...]}` without pagination):
    drf-spectacular would otherwise document every `list` action as an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


# --- Postprocessing: one Error component, the 4xx every operation can answer, tags by area ----------

ERROR_COMPONENT = {
    "type": "object",
    "description": "The one error shape of the API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "A stable machine-readable code, e.g. `invalid`."},
                "message": {"type": "string", "description": "What went wrong, for a person."},
                "fields": {
                    "type": "object",
                    "description": "Invalid fields (dotted paths) and their messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "vendor": {
                    "type": "object",
                    "description": "The vendor's answer, on 502.",
                    "additionalProperties": True,
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (fields named in `error.fields`), including NUL characters, over-long query "
    "values and JSON nested too deep.",
    "401": "Not authenticated.",
    "403": "Authenticated, but this role may not do it.",
    "404": "No such object in your organization.",
    "405": "Method not allowed.",
    "409": "Conflicts with the current state, e.g. a name already used in your organization.",
    "413": "The request body is larger than the documented limit.",
    "415": "The body is not JSON.",
    "429": "Rate limit reached; retry after the `Retry-After` seconds.",
    "502": "The vendor answered with an error.",
}

WRITE_METHODS = {"post", "put", "patch"}

# First path segment under /api/v1/ → the area its operations are listed under in /api/docs/.
AREAS = {
    "Organization": ["organization", "members", "invitations", "api-keys"],
    "Connectors": ["connectors", "connections", "standards"],
    "Mapping": ["mappings", "lookup-tables", "mapping-feedback"],
    "Workflows": ["workflows", "runs", "record-errors", "lineage"],
    "Reconciliation": ["reconciliations", "plans"],
    "Webhooks": ["webhook-endpoints", "webhook-messages", "webhook-deliveries", "event-types", "dead-letters"],
    "Alerts": ["alerts"],
}
AREA_OF = {segment: area for area, segments in AREAS.items() for segment in segments}
VENDOR_CALLS = ("/check/", "/sample/", "/streams/")


def _error_response(code: str) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def error_codes_for(path: str, method: str, operation: dict) -> list[str]:
    codes = ["400", "401", "403", "405", "429"]
    if "{" in path:
        codes.append("404")
    if method in WRITE_METHODS or method == "delete":
        codes.append("409")
    if method in WRITE_METHODS:
        codes += ["413", "415"]
    if path.endswith(VENDOR_CALLS):
        codes.append("502")
    return codes


def document_errors_and_areas(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for path, operations in result.get("paths", {}).items():
        segment = path.removeprefix("/api/v1/").split("/", 1)[0]
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in error_codes_for(path, method, operation):
                operation["responses"].setdefault(code, _error_response(code))
            operation["tags"] = [AREA_OF.get(segment, "Other")]
    result["tags"] = [{"name": area} for area in AREAS]
    return result
