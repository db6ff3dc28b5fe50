from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Consume Ekyam events from Kafka and start targeted workflow runs (scale out: more in the same group)."

    def handle(self, *args, **options):
        from workflows.trigger_consumer import run

        run()
