from rest_framework.routers import SimpleRouter

from connectors.mapping import api


class OptionalSlashRouter(SimpleRouter):
    """Accept paths with and without the trailing slash: `/mappings/{id}/preview` as documented."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("standards", api.StandardViewSet, basename="standard")
router.register("mappings", api.MappingViewSet, basename="mapping")
router.register("lookup-tables", api.LookupTableViewSet, basename="lookup-table")
router.register("mapping-feedback", api.FeedbackViewSet, basename="mapping-feedback")

urlpatterns = [*router.urls]
