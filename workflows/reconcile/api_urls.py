from django.urls import path
from rest_framework.routers import SimpleRouter

from workflows.reconcile import api

router = SimpleRouter()
router.register("reconciliations", api.ReconciliationViewSet, basename="reconciliation")
router.register("plans", api.PlanViewSet, basename="plan")

urlpatterns = [
    path("workflows/<int:pk>/reconcile/", api.reconcile, name="workflow-reconcile"),
    path("workflows/<int:pk>/reconcile-settings/", api.reconcile_settings, name="workflow-reconcile-settings"),
    path("workflows/<int:pk>/dry-run/", api.dry_run, name="workflow-dry-run"),
    *router.urls,
]
