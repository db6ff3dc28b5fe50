from __future__ import annotations

from rest_framework import serializers

from connectors.mapping.models import (
    STANDARD_CHOICES,
    Direction,
    LookupTable,
    Mapping,
    MappingVersion,
    SuggestionFeedback,
)
from connectors.models import Connection
from ekyam.api.fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from ekyam.api.validation import check_stream
from ekyam.tenancy import scoped

# Plain values (no labels) so the API schema shares one "direction" enum with the connectors API.
DIRECTIONS = [Direction.READ.value, Direction.WRITE.value]


def rule_list(rules):
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise serializers.ValidationError("rules must be a list of rule objects.")
    return rules


class MappingVersionSerializer(ScopedModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = MappingVersion
        fields = [
            "id",
            "number",
            "rules",
            "lookups",
            "is_complete",
            "missing_required",
            "comment",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class MappingSerializer(ScopedModelSerializer):
    connection = ScopedPrimaryKeyRelatedField(Connection)
    direction = serializers.ChoiceField(choices=DIRECTIONS)
    rules = serializers.JSONField(write_only=True, required=False, help_text="The rules; saving creates a new version.")
    lookups = serializers.JSONField(write_only=True, required=False)
    comment = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    current_version = serializers.SerializerMethodField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)

    class Meta:
        model = Mapping
        fields = [
            "id",
            "name",
            "connection",
            "stream",
            "direction",
            "standard",
            "rules",
            "lookups",
            "comment",
            "current_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness per connection/stream/direction is enforced on create with a specific message.
        validators: list = []

    def get_current_version(self, mapping) -> dict | None:
        version = mapping.current_version()
        return MappingVersionSerializer(version).data if version else None

    def validate_rules(self, rules):
        return rule_list(rules)

    def validate_lookups(self, lookups):
        if not isinstance(lookups, dict) or not all(isinstance(v, dict) for v in lookups.values()):
            raise serializers.ValidationError("lookups must map table names to objects of value -> replacement.")
        return lookups

    def validate(self, attrs):
        if self.instance is not None:
            for key in ("connection", "stream", "direction", "standard"):
                if key in attrs and attrs[key] != getattr(self.instance, key):
                    raise serializers.ValidationError({key: "cannot be changed; create a new mapping instead."})
        elif attrs.get("connection") is not None and attrs.get("stream"):
            try:
                check_stream(attrs["connection"], attrs["stream"], attrs.get("direction", Direction.READ.value))
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"stream": exc.detail}) from None
        return attrs


class LookupTableSerializer(ScopedModelSerializer):
    class Meta:
        model = LookupTable
        fields = ["id", "name", "description", "values", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # A table without values cannot map anything (and reached the action without its argument).
        extra_kwargs = {"values": {"required": True}}

    def validate_values(self, values):
        if not isinstance(values, dict):
            raise serializers.ValidationError('values must be an object, e.g. {"A": "picked"}.')
        return values

    def validate_name(self, name):
        request = self.context["request"]
        taken = scoped(LookupTable, request.organization).filter(name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f"A lookup table named {name!r} already exists.")
        return name


class SourceFieldSerializer(serializers.Serializer):
    path = serializers.CharField(max_length=300)
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)
    type = serializers.CharField(required=False, allow_blank=True, max_length=40)
    samples = serializers.ListField(child=serializers.JSONField(), required=False, max_length=50)


class SuggestRequestSerializer(serializers.Serializer):
    standard = serializers.ChoiceField(choices=STANDARD_CHOICES)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default=Direction.READ.value)
    source_fields = SourceFieldSerializer(many=True, max_length=2000)
    rules = serializers.JSONField(required=False, help_text="Current rules: fields set by hand are never overwritten.")
    rerank = serializers.BooleanField(default=True, help_text="Use the language model when one is configured.")

    def validate_rules(self, rules):
        return rule_list(rules)


class FeedbackSerializer(ScopedModelSerializer):
    mapping = ScopedPrimaryKeyRelatedField(Mapping, required=False, allow_null=True)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default=Direction.READ.value)

    class Meta:
        model = SuggestionFeedback
        fields = [
            "id",
            "standard",
            "direction",
            "target",
            "source",
            "source_label",
            "accepted",
            "mapping",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class PreviewRequestSerializer(serializers.Serializer):
    records = serializers.ListField(child=serializers.JSONField(), required=False, max_length=200)
    rules = serializers.JSONField(required=False, help_text="Draft rules to try instead of the current version.")

    def validate_rules(self, rules):
        return rule_list(rules)

    live = serializers.BooleanField(default=False, help_text="Pull sample records from the connection.")
    limit = serializers.IntegerField(default=5, min_value=1, max_value=50, help_text="Live records to pull.")


class StandardSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())
    schema = serializers.JSONField(required=False, help_text="The JSON Schema (detail only).")
