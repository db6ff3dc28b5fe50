"""`manage.py mapping_accuracy [--misses] [--rerank]`: top-1 / top-3 suggestion accuracy per standard."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from connectors.mapping.accuracy import evaluate, report


class Command(BaseCommand):
    help = "Print top-1 and top-3 accuracy of mapping suggestions per standard on the labelled schemas."

    def add_arguments(self, parser):
        parser.add_argument("--misses", action="store_true", help="List the fields whose top-1 is wrong.")
        parser.add_argument("--rerank", action="store_true", help="Also use the configured language model.")

    def handle(self, *args, misses=False, rerank=False, **options):
        results = evaluate(rerank=rerank)
        report(results, self.stdout.write)
        if misses:
            for miss in results["misses"]:
                self.stdout.write(
                    f"  miss {miss['set']}: {miss['target']} expected {miss['expected']} got {miss['got'][:3]}"
                )
