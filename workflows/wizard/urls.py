"""The setup wizard under /setup/ (step 3, mapping, is the mapping app's: `connectors.mapping.urls`)."""

from django.urls import path

from workflows.wizard import flow_views, views

urlpatterns = [
    path("", views.start, name="wizard-start"),
    path("connect/<slug:slug>/", views.connect, name="wizard-connect"),
    path("connections/<int:pk>/auth/", views.auth, name="wizard-auth"),
    path("flows/new/", flow_views.edit, name="wizard-flow-new"),
    path("flows/<int:pk>/", flow_views.edit, name="wizard-flow-edit"),
    path("flows/<int:pk>/live/", flow_views.live, name="wizard-live"),
    path("flows/<int:pk>/enable/", flow_views.enable, name="wizard-enable"),
    path("flows/<int:pk>/pause/", flow_views.pause, name="wizard-pause"),
    path("flows/<int:pk>/run/", flow_views.run_now, name="wizard-run-now"),
    path("flows/<int:pk>/errors/<int:error_pk>/retry/", flow_views.retry_error, name="wizard-retry-error"),
]
