"""`manage.py mapping_accuracy [--misses] [--rerank] [--set all|tuning|held-out] [--held-out-dir DIR]`:
top-1 / top-3 suggestion accuracy per standard, on the tuning set and, separately, on the held-out set.

The tuning set (data/labelled/) holds the schemas the synonym vocabulary and the ranking were tuned
against, so its figure is optimistic. The held-out set (data/held_out/) holds schemas of systems that are
NOT in the tuning set; its figure is the honest one. Never tune the vocabulary or the ranking on the
held-out misses: move a held-out set into data/labelled/ when you tune on it, and add a new held-out set.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connectors.mapping.accuracy import LABELLED_DIR, evaluate, labelled_sets, report

HELD_OUT_DIR = LABELLED_DIR.parent / "held_out"
SECTIONS = ("all", "tuning", "held-out")


def _share(hits: int, fields: int) -> str:
    return f"{hits / fields:6.1%}" if fields else "     -"


def _display(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(directory)


class Command(BaseCommand):
    help = (
        "Print top-1 and top-3 accuracy of mapping suggestions per standard on the labelled schemas: "
        "the tuning set (optimistic) and the held-out set of systems the vocabulary was not tuned on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--misses", action="store_true", help="List the fields whose top-1 is wrong.")
        parser.add_argument("--rerank", action="store_true", help="Also use the configured language model.")
        parser.add_argument(
            "--set",
            dest="section",
            choices=SECTIONS,
            default="all",
            help="Which labelled set to measure (default: both, reported separately).",
        )
        parser.add_argument(
            "--held-out-dir",
            type=Path,
            default=HELD_OUT_DIR,
            help="Folder of held-out labelled schemas (default: connectors/mapping/data/held_out).",
        )

    def handle(self, *args, misses=False, rerank=False, section="all", held_out_dir=HELD_OUT_DIR, **options):
        tuning = None
        if section in ("all", "tuning"):
            if section == "all":
                self.stdout.write(f"== Tuning set ({_display(LABELLED_DIR)}): the vocabulary was tuned on these")
            tuning = evaluate(rerank=rerank)
            report(tuning, self.stdout.write)
            if misses:
                for miss in tuning["misses"]:
                    self.stdout.write(
                        f"  miss {miss['set']}: {miss['target']} expected {miss['expected']} got {miss['got'][:3]}"
                    )
        if section in ("all", "held-out"):
            held_out = self._held_out(held_out_dir, rerank=rerank, misses=misses)
            if tuning is not None and held_out is not None:
                self._compare(tuning, held_out)

    def _held_out(self, directory: Path, *, rerank: bool, misses: bool) -> dict | None:
        if not directory.is_dir():
            raise CommandError(f"Held-out folder {directory} does not exist.")
        sets = labelled_sets(directory)
        tuned_systems = {labelled.get("system") for labelled in labelled_sets()}
        overlap = sorted({labelled.get("system") for labelled in sets} & tuned_systems)
        if overlap:
            # A held-out set from a tuned system measures nothing new: refuse rather than report a flattering figure.
            raise CommandError(f"Held-out sets must come from systems outside the tuning set; found {overlap}.")
        write = self.stdout.write
        write("")
        write(f"== Held-out set ({_display(directory)}): systems NOT in the tuning set; no targets applied")
        if not sets:
            write("  no held-out labelled schemas found")
            return None
        results = evaluate(sets, rerank=rerank)
        ranking = "language-model re-ranking when configured" if rerank else "offline ranking"
        write(f"Suggestion accuracy on the held-out set ({ranking})")
        for row in results["per_set"]:
            write(
                f"  {row['name']:32} {row['standard']:16} fields {row['fields']:3}  "
                f"top-1 {_share(row['top1'], row['fields'])}  top-3 {_share(row['top3'], row['fields'])}"
            )
        fields = top1 = top3 = 0
        for standard, bucket in sorted(results["per_standard"].items()):
            write(
                f"held-out {standard:16} fields {bucket['fields']:3}  "
                f"top-1 {_share(bucket['top1'], bucket['fields'])}  top-3 {_share(bucket['top3'], bucket['fields'])}"
            )
            fields, top1, top3 = fields + bucket["fields"], top1 + bucket["top1"], top3 + bucket["top3"]
        everything = "all standards"
        write(f"held-out {everything:16} fields {fields:3}  top-1 {_share(top1, fields)}  top-3 {_share(top3, fields)}")
        if misses:
            for miss in results["misses"]:
                write(
                    f"  miss held-out {miss['set']}: {miss['target']} expected {miss['expected']} got {miss['got'][:3]}"
                )
        return results

    def _compare(self, tuning: dict, held_out: dict) -> None:
        write = self.stdout.write
        write("")
        write("== Tuning vs held-out, top-1 / top-3 (fields)")
        standards = sorted(set(tuning["per_standard"]) | set(held_out["per_standard"]))
        for standard in standards:
            cells = []
            for name, results in (("tuning", tuning), ("held-out", held_out)):
                bucket = results["per_standard"].get(standard, {"fields": 0, "top1": 0, "top3": 0})
                cells.append(
                    f"{name} {_share(bucket['top1'], bucket['fields'])} / {_share(bucket['top3'], bucket['fields'])}"
                    f" ({bucket['fields']:3})"
                )
            write(f"  {standard:16} " + "   ".join(cells))
