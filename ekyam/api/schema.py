"""OpenAPI description of Ekyam's API-key authentication (loaded by EkyamConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
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
