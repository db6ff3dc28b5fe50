from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("developers/webhooks/", views.endpoint_list, name="endpoint-list"),
    path("developers/webhooks/endpoints/<int:pk>/", views.endpoint_detail, name="endpoint-detail"),
    path("developers/webhooks/endpoints/<int:pk>/<slug:name>/", views.endpoint_action, name="endpoint-action"),
    path("developers/webhooks/messages/", views.message_list, name="message-list"),
    path("developers/webhooks/messages/<int:pk>/", views.message_detail, name="message-detail"),
    path("developers/webhooks/messages/<int:pk>/resend/", views.message_resend, name="message-resend"),
    path("developers/webhooks/deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("developers/webhooks/dlq/", views.dead_letter_list, name="dead-letter-list"),
    path("developers/webhooks/dlq/<int:pk>/", views.dead_letter_detail, name="dead-letter-detail"),
    path("developers/alerts/", views.alert_list, name="alert-list"),
]
