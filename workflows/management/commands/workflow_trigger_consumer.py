from django.core.management.base import BaseCommand


class Command(BaseCommand):
    # A long-running service: system checks import every app's URLs and views, which it never uses.
    requires_system_checks: list = []
    help = "Consume Ekyam events from Kafka and start targeted workflow runs (scale out: more in the same group)."

    def add_arguments(self, parser):
        from workflows.trigger_consumer import GROUP_ID

        parser.add_argument("--group", default=GROUP_ID, help="Kafka consumer group id.")

    def handle(self, *args, group, **options):
        from workflows.trigger_consumer import run

        run(group_id=group)
