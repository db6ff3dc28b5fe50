from django.urls import path

from connectors import views

urlpatterns: list = [
    path("connections/", views.connection_list, name="connection-list"),
    path("connections/<int:pk>/", views.connection_detail, name="connection-detail"),
    path("connections/<int:pk>/check/", views.connection_check, name="connection-check"),
]
