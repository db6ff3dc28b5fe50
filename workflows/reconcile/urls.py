from django.urls import path

from workflows.reconcile import views

urlpatterns = [
    path("workflows/<int:pk>/reconciliations/", views.reconciliation_list, name="reconciliation-list"),
    path("workflows/<int:pk>/reconciliations/new/", views.reconciliation_start, name="reconciliation-start"),
    path("workflows/<int:pk>/reconciliations/settings/", views.reconciliation_settings, name="reconciliation-settings"),
    path(
        "workflows/<int:pk>/reconciliations/<int:report_id>/",
        views.reconciliation_detail,
        name="reconciliation-detail",
    ),
    path(
        "workflows/<int:pk>/reconciliations/<int:report_id>/apply/",
        views.reconciliation_apply,
        name="reconciliation-apply",
    ),
    path("workflows/<int:pk>/plans/", views.plan_list, name="plan-list"),
    path("workflows/<int:pk>/plans/new/", views.plan_start, name="plan-start"),
    path("workflows/<int:pk>/plans/<int:plan_id>/", views.plan_detail, name="plan-detail"),
    path("workflows/<int:pk>/plans/<int:plan_id>/apply/", views.plan_apply, name="plan-apply"),
]
