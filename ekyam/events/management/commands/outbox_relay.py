from django.core.management.base import BaseCommand

from ekyam.events import relay
from ekyam.events.consumer import stop_on_signals


class Command(BaseCommand):
    # A long-running service: system checks import every app's URLs and views, which it never uses.
    requires_system_checks: list = []
    help = "Publish committed outbox events to Kafka and mark them published."

    def handle(self, *args, **options):
        relay.run(stop=stop_on_signals())
