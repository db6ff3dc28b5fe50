from django.core.management.base import BaseCommand

from workflows.trigger_consumer import GROUP_ID, run


class Command(BaseCommand):
    # A long-running service: system checks import every app's URLs and views, which it never uses.
    requires_system_checks: list = []
    help = "Consume Ekyam events from Kafka and start targeted workflow runs (scale out: more in the same group)."

    def add_arguments(self, parser):
        parser.add_argument("--group", default=GROUP_ID, help="Kafka consumer group id.")

    def handle(self, *args, group, **options):
        run(group_id=group)
