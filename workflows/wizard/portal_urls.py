from django.urls import path

from workflows.wizard import portal_views

urlpatterns = [
    path("mappings/", portal_views.mapping_list, name="mappings-page"),
    path("runs/<int:pk>/", portal_views.run_detail, name="run-page"),
    path("record-errors/selected/", portal_views.record_errors_bulk, name="record-errors-bulk"),
]
