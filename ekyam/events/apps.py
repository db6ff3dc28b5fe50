from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "ekyam.events"
    label = "events"
    verbose_name = "Event bus"
