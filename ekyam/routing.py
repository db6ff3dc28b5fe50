"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from webhooks.routing import websocket_urlpatterns as webhook_routes
from workflows.routing import websocket_urlpatterns as workflow_routes

websocket_urlpatterns = [*workflow_routes, *webhook_routes]
