from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from ekyam import actions, throttle
from ekyam.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    InvitationSerializer,
    MembershipSerializer,
    OrganizationSerializer,
)
from ekyam.api.viewsets import OrgScopedMixin
from ekyam.models import ApiKey, Invitation, Membership, Role


class ApiKeyViewSet(
    OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """API keys of the organization. The secret is returned once, by create."""

    queryset = ApiKey.objects.all()
    serializer_class = ApiKeySerializer
    write_role = Role.ADMIN
    filterset_fields = ["role"]

    @extend_schema(responses={201: ApiKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created_by = request.user if getattr(request.user, "api_key", None) is None else None
        key, raw = actions.create_api_key(request.organization, created_by=created_by, **serializer.validated_data)
        body = ApiKeyCreatedSerializer(key, context=self.get_serializer_context()).data
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = actions.revoke_api_key(self.get_object())
        return Response(self.get_serializer(key).data)


class MemberConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "last_owner"


class MailFailed(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "mail_failed"


def _refusal(refused: actions.MemberChangeRefused) -> exceptions.APIException:
    if refused.code == "forbidden":
        return exceptions.PermissionDenied(str(refused))
    if refused.code == "last_owner":
        return MemberConflict(str(refused))
    return exceptions.ValidationError({"role": [str(refused)]})


class MembershipViewSet(
    OrgScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Members of the organization. Admins change roles and remove people; only owners change owners or
    give the owner role, and the last owner stays (the same rule as the members page). People join by
    invitation (`/api/v1/invitations/`)."""

    queryset = Membership.objects.select_related("user")
    serializer_class = MembershipSerializer
    write_role = Role.ADMIN
    filterset_fields = ["role"]

    def perform_update(self, serializer):
        role = serializer.validated_data.get("role", serializer.instance.role)
        try:
            actions.change_member_role(self.request.role, serializer.instance, role)
        except actions.MemberChangeRefused as refused:
            raise _refusal(refused) from None

    def perform_destroy(self, instance):
        try:
            actions.remove_member(self.request.role, instance)
        except actions.MemberChangeRefused as refused:
            raise _refusal(refused) from None


class InvitationViewSet(
    OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Invitations by e-mail link. Creating one answers the same whether or not the address has an
    account; the link is only in the e-mail."""

    queryset = Invitation.objects.select_related("invited_by")
    serializer_class = InvitationSerializer
    write_role = Role.ADMIN
    read_role = Role.ADMIN

    def perform_create(self, serializer):
        request = self.request
        invited_by = request.user if getattr(request.user, "api_key", None) is None else None
        if not throttle.allow("invite", str(request.organization.pk), settings.INVITATIONS_PER_HOUR):
            raise exceptions.Throttled(detail="Too many invitations from this organization in the last hour.")
        try:
            serializer.instance = actions.invite(
                request.organization,
                serializer.validated_data["email"],
                serializer.validated_data.get("role", Role.VIEWER),
                invited_by=invited_by,
                actor_role=request.role,
                accept_url=lambda token: request.build_absolute_uri(reverse("invitation-accept", args=[token])),
            )
        except actions.MemberChangeRefused as refused:
            raise _refusal(refused) from None
        except actions.InvitationMailFailed as failed:
            raise MailFailed(f"The invitation is saved, but its e-mail could not be sent ({failed}).") from None

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = actions.revoke_invitation(self.get_object())
        return Response(self.get_serializer(invitation).data)


class OrganizationView(APIView):
    """The caller's organization (one object, not a list)."""

    @extend_schema(responses=OrganizationSerializer, operation_id="organization_retrieve")
    def get(self, request):
        return Response(OrganizationSerializer(request.organization).data)
