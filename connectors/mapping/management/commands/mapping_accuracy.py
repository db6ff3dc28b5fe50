"""`manage.py mapping_accuracy [--misses] [--rerank] [--set all|tuning|held-out] [--held-out-dir DIR]`:
top-1 / top-3 suggestion accuracy per standard on the tuning sets and, separately, on the held-out set;
a calibration table (confidence of the first candidate vs how often it is right); the time to suggest
per schema and for a 200-field schema.

Tuning sets: data/labelled/ (the vocabulary was written against them) and data/tuning/ (the first and
second held-out sets and more systems, tuned on since): their figures are optimistic. The held-out set
(data/held_out/) holds schemas of systems found in no tuning file, never used to tune the vocabulary, the
ranking or the re-ranker: its figure is the honest one. When you tune on a held-out set, move it into
data/tuning/ and write a new held-out set from yet other systems; while the folder has no schema, the
report says so and shows the tuning sets only.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connectors.mapping.accuracy import (
    HELD_OUT_DIR,
    LABELLED_DIR,
    TUNING_DIR,
    calibration,
    evaluate,
    expected_calibration_error,
    labelled_sets,
    report,
    tuning_sets,
)
from connectors.mapping.suggest import suggest_mappings

SECTIONS = ("all", "tuning", "held-out")
LATENCY_FIELDS = 200


def _share(hits: int, fields: int) -> str:
    return f"{hits / fields:6.1%}" if fields else "     -"


def _display(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(directory)


def _merge(*results: dict) -> dict:
    merged = {"per_set": [], "per_standard": {}, "misses": [], "picks": []}
    for result in results:
        merged["per_set"] += result["per_set"]
        merged["misses"] += result["misses"]
        merged["picks"] += result["picks"]
        for standard, bucket in result["per_standard"].items():
            into = merged["per_standard"].setdefault(standard, {"fields": 0, "top1": 0, "top3": 0})
            for key in into:
                into[key] += bucket[key]
    return merged


class Command(BaseCommand):
    help = (
        "Print top-1 and top-3 accuracy of mapping suggestions per standard on the tuning sets (optimistic) "
        "and on the held-out set of systems never tuned on, a calibration table and the time per schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("--misses", action="store_true", help="List the fields whose top-1 is wrong.")
        parser.add_argument("--rerank", action="store_true", help="Also use the configured language model.")
        parser.add_argument(
            "--set",
            dest="section",
            choices=SECTIONS,
            default="all",
            help="Which labelled sets to measure (default: all, reported separately).",
        )
        parser.add_argument(
            "--held-out-dir",
            type=Path,
            default=HELD_OUT_DIR,
            help="Folder of held-out labelled schemas (default: connectors/mapping/data/held_out).",
        )

    def handle(self, *args, misses=False, rerank=False, section="all", held_out_dir=HELD_OUT_DIR, **options):
        write = self.stdout.write
        tuning = held_out = None
        if section in ("all", "tuning"):
            write(f"== Tuning set ({_display(LABELLED_DIR)}): the vocabulary was written against these")
            labelled = evaluate(labelled_sets(LABELLED_DIR), rerank=rerank)
            report(labelled, write)
            self._misses(labelled, "tuning", misses)
            write("")
            write(
                f"== Tuning set ({_display(TUNING_DIR)}): the first held-out set, the second and more systems, tuned on since"
            )
            extra = evaluate(labelled_sets(TUNING_DIR), rerank=rerank)
            self._table(extra, "tuning")
            self._misses(extra, "tuning", misses)
            tuning = _merge(labelled, extra)
        if section in ("all", "held-out"):
            held_out = self._held_out(held_out_dir, rerank=rerank, misses=misses)
        if tuning is not None and held_out is not None:
            self._compare(tuning, held_out)
        write("")
        write("== Calibration: confidence of the first candidate vs how often it is right")
        for name, results in (("tuning", tuning), ("held-out", held_out)):
            if results is not None and results["picks"]:
                self._calibration(name, results["picks"])
        self._latency([r for r in (tuning, held_out) if r is not None])

    def _misses(self, results: dict, name: str, misses: bool) -> None:
        if misses:
            for miss in results["misses"]:
                self.stdout.write(
                    f"  miss {name} {miss['set']}: {miss['target']} expected {miss['expected']} got {miss['got'][:3]}"
                )

    def _table(self, results: dict, name: str) -> None:
        write = self.stdout.write
        for row in results["per_set"]:
            write(
                f"  {row['name']:32} {row['standard']:16} fields {row['fields']:3}  "
                f"top-1 {_share(row['top1'], row['fields'])}  top-3 {_share(row['top3'], row['fields'])}"
            )
        fields = top1 = top3 = 0
        for standard, bucket in sorted(results["per_standard"].items()):
            write(
                f"{name} {standard:16} fields {bucket['fields']:3}  "
                f"top-1 {_share(bucket['top1'], bucket['fields'])}  top-3 {_share(bucket['top3'], bucket['fields'])}"
            )
            fields, top1, top3 = fields + bucket["fields"], top1 + bucket["top1"], top3 + bucket["top3"]
        everything = "all standards"
        write(f"{name} {everything:16} fields {fields:3}  top-1 {_share(top1, fields)}  top-3 {_share(top3, fields)}")

    def _held_out(self, directory: Path, *, rerank: bool, misses: bool) -> dict | None:
        if not directory.is_dir():
            raise CommandError(f"Held-out folder {directory} does not exist.")
        sets = labelled_sets(directory)
        tuned_systems = {labelled.get("system") for labelled in tuning_sets()}
        overlap = sorted({labelled.get("system") for labelled in sets} & tuned_systems)
        if overlap:
            # A held-out set from a tuned system measures nothing new: refuse rather than report a flattering figure.
            raise CommandError(f"Held-out sets must come from systems outside the tuning set; found {overlap}.")
        write = self.stdout.write
        write("")
        write(f"== Held-out set ({_display(directory)}): systems NOT in any tuning set, never tuned on")
        if not sets:
            # Between two frozen sets (the last one became tuning data): nothing honest to measure yet.
            write("  the held-out folder is empty: no held-out labelled schemas found (it awaits a fresh set)")
            return None
        results = evaluate(sets, rerank=rerank)
        ranking = "language-model re-ranking when configured" if rerank else "offline ranking"
        write(f"Suggestion accuracy on the held-out set ({ranking})")
        self._table(results, "held-out")
        self._misses(results, "held-out", misses)
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

    def _calibration(self, name: str, picks: list) -> None:
        write = self.stdout.write
        write(f"{name}: confidence bucket   picks  mean confidence  observed top-1")
        for row in calibration(picks):
            if row["low"] is None:
                write(f"{name}:   no candidate        {row['count']:5}")
                continue
            observed = _share(row["right"], row["count"])
            mean = f"{row['mean']:6.1%}" if row["mean"] is not None else "     -"
            write(
                f"{name}:   [{row['low']:.2f}, {row['high']:.2f})        {row['count']:5}  {mean:>15}  {observed:>14}"
            )
        write(f"{name}: expected calibration error {expected_calibration_error(picks):.3f}")

    def _latency(self, results: list[dict]) -> None:
        write = self.stdout.write
        rows = [row for result in results for row in result["per_set"]]
        if not rows:
            return
        write("")
        write("== Time to suggest (offline), per schema")
        for row in sorted(rows, key=lambda r: -r["seconds"])[:5]:
            write(f"  {row['name']:32} source fields {row['source_fields']:4}  {row['seconds'] * 1000:7.1f} ms")
        seconds = sum(row["seconds"] for row in rows)
        write(f"  all {len(rows)} schemas: mean {seconds / len(rows) * 1000:.1f} ms per schema")
        fields = self._wide_schema()
        for standard in ("order", "product"):
            started, cpu = time.perf_counter(), time.process_time()
            suggest_mappings(standard, "read", fields, rerank=False)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            # CPU time too: on a shared machine the wall clock also counts other processes' turns.
            write(
                f"  a {len(fields)}-field schema ({standard}): {elapsed * 1000:.1f} ms "
                f"(CPU {cpu * 1000:.1f} ms; goal < 1000 ms)"
            )

    @staticmethod
    def _wide_schema() -> list[dict]:
        """LATENCY_FIELDS fields taken from the labelled schemas, each under its own prefix."""
        fields: list[dict] = []
        for index, labelled in enumerate(labelled_sets(HELD_OUT_DIR) + tuning_sets()):
            for spec in labelled["fields"]:
                if len(fields) == LATENCY_FIELDS:
                    return fields
                fields.append({**spec, "path": f"part{index}.{spec['path']}"})
        return fields
