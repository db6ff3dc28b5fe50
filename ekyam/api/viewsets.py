"""Base classes every API viewset of Ekyam builds on: organization scope, roles, error shape."""

from __future__ import annotations

from rest_framework import viewsets

from ekyam.tenancy import scoped


class OrgScopedMixin:
    """Querysets pass through `scoped`; new objects are created in the caller's organization."""

    queryset = None

    def get_queryset(self):
        return scoped(super().get_queryset(), self.request.organization)

    def perform_create(self, serializer):
        serializer.save(organization=self.request.organization)


class OrgScopedModelViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    pass


class OrgScopedReadOnlyViewSet(OrgScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass
