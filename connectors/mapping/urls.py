from django.urls import path

from connectors.mapping import views

urlpatterns = [
    path("standards/", views.standards_page, name="standards"),
    path("mappings/", views.mapping_list, name="mappings-page"),
    # The setup wizard's step 3, inside the wizard's /setup/ pages.
    path("setup/connections/<int:pk>/map/", views.choose_stream, name="wizard-map"),
    path("setup/connections/<int:pk>/map/<slug:stream>/", views.verify, name="wizard-map-stream"),
    path("setup/connections/<int:pk>/map/<slug:stream>/pull/", views.pull_samples, name="wizard-map-pull"),
]
