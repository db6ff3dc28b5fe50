import signal

from django.core.management.base import BaseCommand

from webhooks import relay


class Command(BaseCommand):
    # A long-running service: system checks import every app's URLs and views, which it never uses.
    requires_system_checks: list = []
    help = "Publish committed outbox events to Kafka and mark them published."

    def handle(self, *args, **options):
        stopping = {"now": False}

        def handle(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        relay.run(stop=lambda: stopping["now"])
