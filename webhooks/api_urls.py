from rest_framework.routers import SimpleRouter

from webhooks import api

router = SimpleRouter()
router.register("webhook-endpoints", api.EndpointViewSet, basename="webhook-endpoint")
router.register("webhook-messages", api.MessageViewSet, basename="webhook-message")
router.register("webhook-deliveries", api.DeliveryViewSet, basename="webhook-delivery")
router.register("dead-letters", api.DeadLetterViewSet, basename="dead-letter")
router.register("alerts", api.AlertViewSet, basename="alert")
router.register("event-types", api.EventTypeViewSet, basename="event-type")

urlpatterns = [*router.urls]
