from django.core.management.base import BaseCommand

from webhooks import consumer


class Command(BaseCommand):
    # A long-running service: system checks import every app's URLs and views, which it never uses.
    requires_system_checks: list = []
    help = "Deliver events from Kafka to webhook endpoints (run more in the same group to scale out)."

    def add_arguments(self, parser):
        parser.add_argument("--group", default=consumer.DEFAULT_GROUP, help="Kafka consumer group id.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, group, batch_size, **options):
        consumer.run(group_id=group, batch_size=batch_size)
