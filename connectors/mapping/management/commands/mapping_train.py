"""`manage.py mapping_train [--l2 X] [--dry-run]`: retrain the suggestions' re-ranker on the tuning sets.

Examples are the pairs the ranker re-scores (ranking.scored_pairs) on every tuning schema (data/labelled/ and
data/tuning/), labelled right when the source is an acceptable answer for the field. The held-out set is never
read. The result is deterministic: the same data gives the same data/reranker.json.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from connectors.mapping import reranker
from connectors.mapping.accuracy import tuning_sets
from connectors.mapping.features import make_source
from connectors.mapping.ranking import scored_pairs


def training_examples(sets: list[dict]) -> list[tuple[list[float], bool]]:
    examples = []
    for labelled in sets:
        sources = [make_source(spec) for spec in labelled["fields"]]
        for target, rows in scored_pairs(labelled["standard"], sources, {}).items():
            acceptable = set(labelled["expected"].get(target, ()))
            examples.extend((values, pair.source.path in acceptable) for pair, values in rows)
    return examples


class Command(BaseCommand):
    help = "Retrain the mapping suggestions' logistic re-ranker on the tuning sets (writes data/reranker.json)."

    def add_arguments(self, parser):
        parser.add_argument("--l2", type=float, default=1.0, help="Ridge penalty on the weights (default 1.0).")
        parser.add_argument("--dry-run", action="store_true", help="Fit and print, do not write the model file.")

    def handle(self, *args, l2=1.0, dry_run=False, **options):
        sets = tuning_sets()
        examples = training_examples(sets)
        fitted = reranker.fit(examples, l2=l2)
        positives = sum(1 for _, right in examples if right)
        write = self.stdout.write
        write(f"trained on {len(sets)} tuning schemas: {len(examples)} pairs, {positives} right")
        for name, weight in zip(fitted["features"], fitted["weights"], strict=True):
            write(f"  {name:40} {weight:+8.4f}")
        write(f"  {'bias':40} {fitted['bias']:+8.4f}")
        if dry_run:
            return
        reranker.save(
            fitted,
            trained_on=sorted(labelled["name"] for labelled in sets),
            l2=l2,
            examples=len(examples),
            retrain="manage.py mapping_train",
        )
        write(f"wrote {reranker.MODEL_PATH}")
