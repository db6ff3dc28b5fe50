from rest_framework.routers import SimpleRouter

from workflows import api

router = SimpleRouter()
router.register("workflows", api.WorkflowViewSet, basename="workflow")
router.register("runs", api.RunViewSet, basename="run")
router.register("record-errors", api.RecordErrorViewSet, basename="record-error")
router.register("lineage", api.LineageViewSet, basename="lineage")

urlpatterns = [*router.urls]
