from __future__ import annotations

from rest_framework import serializers

from ekyam.alerts.models import Alert
from ekyam.api.fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message


class MaskedHeadersField(serializers.JSONField):
    """Custom headers: written in full, read masked (secrets as bullets and at most the last 4)."""

    def get_attribute(self, instance):
        return instance.masked_headers()

    def to_representation(self, value):
        return value


class EndpointSerializer(ScopedModelSerializer):
    headers = MaskedHeadersField(
        required=False, help_text="Extra headers sent with every request; stored encrypted, returned masked."
    )

    class Meta:
        model = Endpoint
        read_only_fields = [
            "is_active",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "consecutive_failed_messages",
            "secret_revealed_at",
            "created_at",
            "updated_at",
        ]
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "filter",
            "headers",
            "rate_limit_per_second",
            "retry_schedule",
            "timeout_seconds",
            "max_concurrency",
            "ordered",
            *read_only_fields,  # what the endpoint's state and history show, after what a caller sets
        ]


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret (whsec_…). Shown once.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True)


# Plain strings rather than enums in the OpenAPI schema: "status" and "trigger" choice sets of
# other apps would otherwise collide with these names.
class AttemptSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True, help_text="succeeded | failed")
    trigger = serializers.CharField(read_only=True, help_text="scheduled | replay | test")

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "number",
            "trigger",
            "status",
            "status_code",
            "response_body",
            "duration_ms",
            "error",
            "created_at",
        ]


class DeliverySerializer(ScopedModelSerializer):
    attempts = AttemptSerializer(many=True, read_only=True)
    status = serializers.CharField(
        source="state",
        read_only=True,
        help_text="pending | retrying | held (its endpoint is disabled) | succeeded | dead",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "attempts",
        ]


class MessageSerializer(ScopedModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "event_id",
            "webhook_id",
            "event_type",
            "body",
            "occurred_at",
            "published_at",
            "created_at",
            "deliveries",
        ]


class DeadLetterSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True, help_text="dead | replaying | replayed")

    class Meta:
        model = DeadLetter
        fields = [
            "id",
            "endpoint",
            "delivery",
            "event_type",
            "payload",
            "attempts",
            "reason",
            "status",
            "created_at",
            "replayed_at",
        ]


class RecoverSerializer(serializers.Serializer):
    since = serializers.DateTimeField(help_text="Deliver again every message of this endpoint created since then.")


class RecoveredSerializer(serializers.Serializer):
    held = serializers.IntegerField(help_text="Messages held while the endpoint was disabled, attempted now.")
    replayed = serializers.IntegerField(help_text="Dead letters put back on the schedule.")


class ReplaySelectedSerializer(serializers.Serializer):
    ids = ScopedPrimaryKeyRelatedField(DeadLetter, many=True, allow_empty=False, max_length=1000)


class ReplaySinceSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    endpoint = ScopedPrimaryKeyRelatedField(Endpoint, required=False)


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()


class AlertSerializer(ScopedModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "kind", "title", "reason", "link", "count", "created_at", "last_at", "notified_at", "read_at"]
        read_only_fields = fields


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    version = serializers.IntegerField()
    group = serializers.CharField()
    description = serializers.CharField()
    schema = serializers.JSONField(help_text="JSON Schema of the event's data.")
    example = serializers.JSONField()


class HealthQuerySerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=168, default=24)


class HourSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    attempts = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()


class EndpointHealthSerializer(serializers.Serializer):
    attempts = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    average_duration_ms = serializers.IntegerField(allow_null=True)
    hours = HourSerializer(many=True)
