"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from workflows.routing import websocket_urlpatterns as workflow_routes

websocket_urlpatterns = [*workflow_routes]
