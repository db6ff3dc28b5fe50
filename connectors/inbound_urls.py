"""`/hooks/<vendor>/<token>/`: where Whiplash and Shopify deliver their webhooks (see connectors/inbound.py)."""

from django.urls import path

from connectors import inbound

urlpatterns = [path("<slug:vendor>/<str:token>/", inbound.receive, name="inbound-webhook")]
