from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "ekyam.events"
    label = "events"
    verbose_name = "Event bus"

    def ready(self):
        from ekyam.events import tracing

        # Every process (web, worker, relay, consumers) exports its spans when an endpoint is set.
        tracing.configure_from_env()
