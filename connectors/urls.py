from django.urls import path

from connectors import page_views

urlpatterns: list = [
    path("connections/", page_views.connection_list, name="connection-list"),
    path("connections/<int:pk>/", page_views.connection_detail, name="connection-detail"),
    path("connections/<int:pk>/check/", page_views.connection_check, name="connection-check"),
]
