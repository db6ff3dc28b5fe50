from django.urls import path

from workflows.consumers import WorkflowStatusConsumer

websocket_urlpatterns: list = [path("ws/workflows/<int:workflow_id>/", WorkflowStatusConsumer.as_asgi())]
