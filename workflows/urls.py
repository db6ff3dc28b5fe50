from django.urls import path

from workflows import views

urlpatterns: list = [
    path("workflows/", views.workflow_list, name="workflow-list"),
    path("workflows/new/", views.workflow_create_from_blueprint, name="workflow-create"),
    path("workflows/<int:pk>/", views.workflow_detail, name="workflow-detail"),
    path(
        "workflows/<int:pk>/<str:command>/",
        views.workflow_command,
        name="workflow-command",
    ),
    path("record-errors/", views.record_error_list, name="record-error-list"),
    path("record-errors/selected/", views.record_errors_bulk, name="record-errors-bulk"),
    path("record-errors/<int:pk>/<str:command>/", views.record_error_command, name="record-error-command"),
    path("runs/<int:pk>/", views.run_detail, name="run-page"),
    path("lineage/<int:pk>/", views.lineage_detail, name="lineage-page"),
]
