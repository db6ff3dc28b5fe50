from rest_framework.routers import SimpleRouter

from connectors.mapping import api_views


class OptionalSlashRouter(SimpleRouter):
    """Accept paths with and without the trailing slash: `/mappings/{id}/preview` as documented."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("standards", api_views.StandardViewSet, basename="standard")
router.register("mappings", api_views.MappingViewSet, basename="mapping")
router.register("lookup-tables", api_views.LookupTableViewSet, basename="lookup-table")
router.register("mapping-feedback", api_views.FeedbackViewSet, basename="mapping-feedback")

urlpatterns = [*router.urls]
