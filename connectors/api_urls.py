from rest_framework.routers import SimpleRouter

from connectors.api import ConnectionViewSet, ConnectorCatalogViewSet

router = SimpleRouter()
router.register("connectors", ConnectorCatalogViewSet, basename="connector")
router.register("connections", ConnectionViewSet, basename="connection")

urlpatterns = [*router.urls]
