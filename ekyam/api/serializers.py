from rest_framework import serializers

from ekyam.api.fields import ScopedModelSerializer
from ekyam.models import ApiKey, Invitation, InvitationStatus, Membership, Organization, Role, role_at_least


class OrganizationSerializer(ScopedModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at"]
        read_only_fields = ["slug", "created_at"]


class MembershipSerializer(ScopedModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "created_at"]
        read_only_fields = ["created_at"]


class InvitationSerializer(ScopedModelSerializer):
    invited_by = serializers.CharField(source="invited_by.username", read_only=True, default=None, allow_null=True)
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = ["created_at", "expires_at", "accepted_at", "revoked_at"]


class ApiKeySerializer(ScopedModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    def validate_role(self, role):
        caller_role = self.context["request"].role
        if not role_at_least(caller_role, role):
            raise serializers.ValidationError(
                f"You cannot create a key with more rights than your own ({caller_role})."
            )
        return role


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret key. Shown once; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


__all__ = [
    "OrganizationSerializer",
    "MembershipSerializer",
    "InvitationSerializer",
    "ApiKeySerializer",
    "ApiKeyCreatedSerializer",
    "Role",
]
