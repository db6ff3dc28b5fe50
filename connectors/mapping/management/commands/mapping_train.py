"""`manage.py mapping_train [--l2 X] [--dry-run]`: retrain the suggestions' re-ranker on the tuning sets.

Examples are the pairs the ranker re-scores (ranking.scored_pairs) on every tuning schema (data/labelled/ and
data/tuning/), labelled right when the source is an acceptable answer for the field. The first pick's confidence
is then calibrated (Platt scaling) on first picks made by models fitted without the pick's system, so that it
estimates how often a first pick is right on a system the model has not seen. The held-out set is never read.
The result is deterministic: the same data gives the same data/reranker.json.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from connectors.mapping import reranker
from connectors.mapping.accuracy import tuning_sets
from connectors.mapping.ranking import rank, scored_pairs
from connectors.mapping.sources import make_source


def training_examples(sets: list[dict]) -> list[tuple[list[float], bool]]:
    examples = []
    for labelled in sets:
        sources = [make_source(spec) for spec in labelled["fields"]]
        for target, rows in scored_pairs(labelled["standard"], sources, {}).items():
            acceptable = set(labelled["expected"].get(target, ()))
            examples.extend((values, pair.source.path in acceptable) for pair, values in rows)
    return examples


def first_picks(sets: list[dict], fitted: dict) -> list[tuple[float, float, bool]]:
    """(first confidence, second confidence, right) for every field with a candidate; a first pick for a
    field with no right answer in the schema is wrong."""
    picks = []
    for labelled in sets:
        sources = [make_source(spec) for spec in labelled["fields"]]
        for target, candidates in rank(labelled["standard"], sources, {}, fitted=fitted).items():
            if candidates:
                second = candidates[1].confidence if len(candidates) > 1 else 0.0
                right = candidates[0].source.path in labelled["expected"].get(target, ())
                picks.append((candidates[0].confidence, second, right))
    return picks


def out_of_fold_picks(sets: list[dict], l2: float) -> list[tuple[float, float, bool]]:
    """First picks on each system's schemas by a model fitted on the other systems only."""
    picks = []
    for system in sorted({labelled["system"] for labelled in sets}):
        inside = [labelled for labelled in sets if labelled["system"] == system]
        outside = [labelled for labelled in sets if labelled["system"] != system]
        picks += first_picks(inside, reranker.fit(training_examples(outside), l2=l2))
    return picks


class Command(BaseCommand):
    help = "Retrain the mapping suggestions' logistic re-ranker on the tuning sets (writes data/reranker.json)."

    def add_arguments(self, parser):
        parser.add_argument("--l2", type=float, default=1.0, help="Ridge penalty on the weights (default 1.0).")
        parser.add_argument("--dry-run", action="store_true", help="Fit and print, do not write the model file.")

    def handle(self, *args, l2=1.0, dry_run=False, **options):
        sets = tuning_sets()
        examples = training_examples(sets)
        fitted = reranker.fit(examples, l2=l2)
        picks = out_of_fold_picks(sets, l2)
        fitted["top1"] = reranker.fit_top1(picks)
        positives = sum(1 for _, right in examples if right)
        write = self.stdout.write
        write(f"trained on {len(sets)} tuning schemas: {len(examples)} pairs, {positives} right")
        for name, weight in zip(fitted["features"], fitted["weights"], strict=True):
            write(f"  {name:40} {weight:+8.4f}")
        write(f"  {'bias':40} {fitted['bias']:+8.4f}")
        top1 = fitted["top1"]
        write(f"first-pick calibration on {len(picks)} out-of-fold first picks (one system left out at a time):")
        for name, weight in zip(top1["inputs"], top1["weights"], strict=True):
            write(f"  {name:40} {weight:+8.4f}")
        write(f"  {'bias':40} {top1['bias']:+8.4f}")
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
