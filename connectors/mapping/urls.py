from django.urls import path

from connectors.mapping import views

urlpatterns = [path("standards/", views.standards_page, name="standards")]
