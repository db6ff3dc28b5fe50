"""`/api/v1/` for the developer portal: endpoints, messages with attempts, dead letters, alerts, event types."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ekyam.alerts import actions as alert_actions
from ekyam.alerts.models import Alert
from ekyam.api.viewsets import OrgScopedMixin, OrgScopedReadOnlyViewSet
from ekyam.events import catalog
from ekyam.models import Role
from webhooks import actions
from webhooks.filters import DeadLetterFilter, MessageFilter
from webhooks.health import endpoint_health
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message
from webhooks.serializers import (
    AlertSerializer,
    DeadLetterSerializer,
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointHealthSerializer,
    EndpointSerializer,
    EventTypeSerializer,
    HealthQuerySerializer,
    MessageSerializer,
    RecoveredSerializer,
    RecoverSerializer,
    ReplayedSerializer,
    ReplaySelectedSerializer,
    ReplaySinceSerializer,
    SecretSerializer,
)


def _unfiltered_object(view):
    """The object a POST action acts on, found by id in the organization alone: list filters given as query
    parameters (`since`, `cursor`, …) are not for it."""
    obj = generics.get_object_or_404(view.get_queryset(), pk=view.kwargs["pk"])
    view.check_object_permissions(view.request, obj)
    return obj


@contextmanager
def _refusal_as_detail():
    """An action's refusal (a Django ValidationError) answers 400 with its reasons under `detail`."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"detail": exc.messages}) from None


class EndpointViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Webhook endpoints. The signing secret is returned by create, reveal-secret (once) and rotate-secret."""

    queryset = Endpoint.objects.all()
    serializer_class = EndpointSerializer
    filterset_fields = ["is_active"]

    @extend_schema(responses={201: EndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = actions.create_endpoint(request.organization, **serializer.validated_data)
        body = EndpointSerializer(endpoint, context=self.get_serializer_context()).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        actions.update_endpoint(serializer.instance, **serializer.validated_data)

    @extend_schema(request=None, responses=SecretSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-secret")
    def reveal_secret(self, request, pk=None):
        return Response({"secret": actions.reveal_secret(self.get_object())})

    @extend_schema(request=None, responses=SecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        return Response({"secret": actions.rotate_secret(self.get_object())})

    @extend_schema(request=None, responses=EndpointSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        return Response(self.get_serializer(actions.enable_endpoint(self.get_object())).data)

    @extend_schema(request=None, responses=EndpointSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        endpoint = self.get_object()
        actions.disable_endpoint(endpoint, f"Disabled by {request.user}.")
        endpoint.refresh_from_db()
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(request=RecoverSerializer, responses=RecoveredSerializer)
    @action(detail=True, methods=["post"])
    def recover(self, request, pk=None):
        """Deliver everything since `since` again (Svix's recover): a disabled endpoint is enabled
        and its held messages attempted, and the dead letters of the window are replayed."""
        data = RecoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(actions.recover_endpoint(self.get_object(), data.validated_data["since"]))

    @extend_schema(parameters=[HealthQuerySerializer], responses=EndpointHealthSerializer)
    @action(detail=True, methods=["get"])
    def health(self, request, pk=None):
        """Attempts per hour (UTC), succeeded and failed, over the last `hours` (default 24, at most 168)."""
        query = HealthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = endpoint_health(self.get_object(), hours=query.validated_data["hours"])
        return Response(EndpointHealthSerializer(report).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = actions.send_test_event(self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class MessageViewSet(OrgScopedReadOnlyViewSet):
    """Messages sent to the organization's endpoints, each with its deliveries and every attempt."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    queryset = Message.objects.prefetch_related(
        Prefetch(
            "deliveries",
            queryset=Delivery.objects.select_related("endpoint").prefetch_related(
                Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("number", "pk"))
            ),
        )
    )

    @extend_schema(request=None, responses={202: DeliverySerializer(many=True)})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """Deliver the message again now to every active endpoint it was for, each on a fresh retry schedule."""
        with _refusal_as_detail():
            queued = actions.resend_message(_unfiltered_object(self))
        return Response(DeliverySerializer(queued, many=True).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(OrgScopedReadOnlyViewSet):
    """Deliveries of messages to endpoints, each with every attempt; a failing one can be retried now."""

    serializer_class = DeliverySerializer
    filterset_fields = ["endpoint", "status"]
    queryset = Delivery.objects.select_related("endpoint").prefetch_related(
        Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("number", "pk"))
    )

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """The next attempt now, instead of at its scheduled time (a dead-lettered delivery is replayed)."""
        with _refusal_as_detail():
            delivery = actions.retry_delivery_now(_unfiltered_object(self))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeadLetterViewSet(
    OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The dead-letter queue: filter by endpoint, event_type, status, since/until; replay; delete."""

    queryset = DeadLetter.objects.all()
    serializer_class = DeadLetterSerializer
    filterset_class = DeadLetterFilter

    def perform_destroy(self, instance):
        DeadLetter.objects.filter(pk=instance.pk).delete()

    @extend_schema(request=None, responses=ReplayedSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        return Response({"replayed": int(actions.replay_dead_letter(self.get_object()))})

    @extend_schema(request=ReplaySelectedSerializer, responses=ReplayedSerializer)
    @action(detail=False, methods=["post"], url_path="replay-selected")
    def replay_selected(self, request):
        data = ReplaySelectedSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return Response(
            {
                "replayed": actions.replay_dead_letters(
                    self.get_queryset().filter(pk__in=[d.pk for d in data.validated_data["ids"]])
                )
            }
        )

    @extend_schema(request=ReplaySinceSerializer, responses=ReplayedSerializer)
    @action(detail=False, methods=["post"], url_path="replay-since")
    def replay_since(self, request):
        data = ReplaySinceSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        queryset = self.get_queryset().filter(created_at__gte=data.validated_data["since"])
        if "endpoint" in data.validated_data:
            queryset = queryset.filter(endpoint=data.validated_data["endpoint"])
        return Response({"replayed": actions.replay_dead_letters(queryset)})


class AlertViewSet(OrgScopedReadOnlyViewSet):
    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_fields = ["kind"]

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        alert = alert_actions.mark_alert_read(self.get_object())
        return Response(self.get_serializer(alert).data)


class EventTypeViewSet(viewsets.ViewSet):
    """The event catalog: every type with its version, JSON Schema and an example."""

    read_role = Role.VIEWER
    serializer_class = EventTypeSerializer
    pagination_class = None

    @extend_schema(responses=EventTypeSerializer(many=True))
    def list(self, request):
        return Response(catalog.list_event_types())
