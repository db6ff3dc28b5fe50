"""`/hooks/<vendor>/<token>/`: where Whiplash and Shopify deliver their webhooks (see webhooks/inbound.py)."""

from django.urls import path

from webhooks import inbound

urlpatterns = [path("<slug:vendor>/<str:token>/", inbound.receive, name="inbound-webhook")]
