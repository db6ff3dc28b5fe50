from django.urls import path

from webhooks.consumers import MessageListConsumer

websocket_urlpatterns: list = [path("ws/developers/messages/", MessageListConsumer.as_asgi())]
