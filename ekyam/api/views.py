from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from ekyam import actions
from ekyam.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    MembershipSerializer,
    OrganizationSerializer,
)
from ekyam.api.viewsets import OrgScopedMixin
from ekyam.models import ApiKey, Membership, Role


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


class MembershipViewSet(
    OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    queryset = Membership.objects.select_related("user")
    serializer_class = MembershipSerializer
    write_role = Role.OWNER
    filterset_fields = ["role"]


class OrganizationView(APIView):
    """The caller's organization (one object, not a list)."""

    @extend_schema(responses=OrganizationSerializer, operation_id="organization_retrieve")
    def get(self, request):
        return Response(OrganizationSerializer(request.organization).data)
