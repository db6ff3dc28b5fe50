"""API shapes of the connector catalog and of connections. Credentials are write-only: responses
carry `masked_credentials` (secrets as `••••` + last 4 at most), never the stored values."""

from __future__ import annotations

from dataclasses import asdict

from rest_framework import serializers

from connectors.base import Connector, StreamSpec
from connectors.models import Connection
from ekyam.api.fields import ScopedModelSerializer, request_organization
from ekyam.api.validation import check_unique_in_organization


def stream_data(spec: StreamSpec) -> dict:
    return asdict(spec)


def connector_data(cls: type[Connector]) -> dict:
    return {
        "slug": cls.slug,
        "name": cls.name,
        "description": cls.description,
        "logo": cls.logo,
        "default_concurrency": cls.default_concurrency,
        "read_only": not cls.writer_streams(),
        "credential_fields": [asdict(f) for f in cls.credential_fields],
        "readers": [stream_data(s) for s in cls.reader_streams()],
        "writers": [stream_data(s) for s in cls.writer_streams()],
    }


class ConnectionSerializer(ScopedModelSerializer):
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        write_only=True,
        required=False,
        help_text="Credential fields of the connector type. Write-only; omitted or blank secrets keep their value.",
    )
    masked_credentials = serializers.SerializerMethodField()
    read_only = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = [
            "id",
            "name",
            "connector_type",
            "status",
            "last_checked_at",
            "last_error",
            "last_error_reason",
            "concurrency_limit",
            "credentials",
            "masked_credentials",
            "read_only",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "last_checked_at", "last_error", "last_error_reason", "created_at", "updated_at"]

    def get_masked_credentials(self, obj: Connection) -> dict[str, str]:
        return obj.masked_credentials()

    def get_read_only(self, obj: Connection) -> bool:
        try:
            return not obj.connector_class.writer_streams()
        except LookupError:
            return True

    def validate_name(self, name):
        organization = request_organization(self.context)
        check_unique_in_organization(organization, Connection, "name", name, instance=self.instance)
        return name

    def validate(self, attrs):
        if self.instance is None and "credentials" not in attrs:
            raise serializers.ValidationError({"credentials": ["Enter the connection's credentials."]})
        if self.instance is not None and attrs.get("connector_type", self.instance.connector_type) != (
            self.instance.connector_type
        ):
            raise serializers.ValidationError({"connector_type": ["The connector type of a connection cannot change."]})
        return attrs


class CheckResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    reason = serializers.CharField()
    message = serializers.CharField()
    connection = ConnectionSerializer()


class SampleRequestSerializer(serializers.Serializer):
    stream = serializers.CharField()
    limit = serializers.IntegerField(min_value=1, max_value=50, default=5)


# --- documentation shapes (the catalog is built from dataclasses; these describe it in the OpenAPI schema) ---
class StreamFieldSerializer(serializers.Serializer):
    path = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    sample = serializers.JSONField(allow_null=True)


class StreamSpecSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    standard = serializers.CharField()
    direction = serializers.ChoiceField(choices=["read", "write"])
    incremental = serializers.BooleanField()
    fields = StreamFieldSerializer(many=True)
    description = serializers.CharField()


class CredentialFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()
    secret = serializers.BooleanField()
    required = serializers.BooleanField()
    default = serializers.CharField()
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    placeholder = serializers.CharField()


class ConnectorTypeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    logo = serializers.CharField()
    default_concurrency = serializers.IntegerField()
    read_only = serializers.BooleanField(help_text="True when the connector has no writer streams.")
    credential_fields = CredentialFieldSerializer(many=True)
    readers = StreamSpecSerializer(many=True)
    writers = StreamSpecSerializer(many=True)


class SampleResponseSerializer(serializers.Serializer):
    stream = serializers.CharField()
    count = serializers.IntegerField()
    records = serializers.ListField(child=serializers.DictField())
