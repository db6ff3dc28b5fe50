from django.urls import path

from connectors import views

urlpatterns: list = [
    path("connections/", views.connection_list, name="connection-list"),
    path("connections/<int:pk>/", views.connection_detail, name="connection-detail"),
    path("connections/<int:pk>/check/", views.connection_check, name="connection-check"),
    path("connections/<int:pk>/rename/", views.connection_rename, name="connection-rename"),
    path("connections/<int:pk>/delete/", views.connection_delete, name="connection-delete"),
]
