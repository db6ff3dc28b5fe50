"""Measuring suggestion accuracy on labelled schemas of real commerce systems.

Each file lists a system's fields (path, label, type, sample values) and, for the standard fields
that have a right answer, the acceptable source paths. Top-1 counts a field when the first
candidate is acceptable; top-3 when any of the first three is.

Three folders, two roles:
- tuning: `data/labelled/` (the schemas the vocabulary was written against) and `data/tuning/` (the first
  and second held-out sets and more systems; the ranking and the re-ranker have been tuned on them since,
  so they are tuning data now);
- held-out: `data/held_out/`, systems that appear in no tuning file, never used to tune anything. It may
  be empty while a fresh frozen set is written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from connectors.mapping.suggest import suggest_mappings

DATA_DIR = Path(__file__).parent / "data"
LABELLED_DIR = DATA_DIR / "labelled"
TUNING_DIR = DATA_DIR / "tuning"
HELD_OUT_DIR = DATA_DIR / "held_out"
TUNING_DIRS = (LABELLED_DIR, TUNING_DIR)
TARGETS = {"product": 0.9, "shipment": 0.9}
# Upper bounds of the confidence buckets of the calibration table.
BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


def labelled_sets(directory: Path = LABELLED_DIR) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


def tuning_sets() -> list[dict]:
    return [labelled for directory in TUNING_DIRS for labelled in labelled_sets(directory)]


def evaluate(sets: list[dict] | None = None, *, rerank: bool = False) -> dict:
    """{"per_set": [...], "per_standard": {standard: {"fields", "top1", "top3"}}, "misses": [...],
    "picks": [(confidence of the first candidate or None, right)]}: one pick per labelled field, and one
    (always wrong) per other field that was given a candidate although the schema has no right answer."""
    per_set, misses, picks = [], [], []
    totals: dict[str, dict[str, int]] = {}
    for labelled in sets if sets is not None else labelled_sets():
        started = time.perf_counter()
        result = suggest_mappings(labelled["standard"], labelled["direction"], labelled["fields"], rerank=rerank)
        elapsed = time.perf_counter() - started
        by_target = {entry["target"]: entry["candidates"] for entry in result["fields"]}
        top1 = top3 = 0
        for target, acceptable in labelled["expected"].items():
            candidates = by_target.get(target, [])
            ranked = [c["source"] for c in candidates]
            right = bool(ranked) and ranked[0] in acceptable
            picks.append((candidates[0]["confidence"] if candidates else None, right))
            if right:
                top1 += 1
            else:
                misses.append({"set": labelled["name"], "target": target, "expected": acceptable, "got": ranked})
            if any(source in acceptable for source in ranked[:3]):
                top3 += 1
        for entry in result["fields"]:
            if entry["target"] not in labelled["expected"] and entry["candidates"]:
                picks.append((entry["candidates"][0]["confidence"], False))  # no right answer exists
        count = len(labelled["expected"])
        per_set.append(
            {
                "name": labelled["name"],
                "standard": labelled["standard"],
                "fields": count,
                "top1": top1,
                "top3": top3,
                "source_fields": len(labelled["fields"]),
                "seconds": elapsed,
            }
        )
        bucket = totals.setdefault(labelled["standard"], {"fields": 0, "top1": 0, "top3": 0})
        bucket["fields"] += count
        bucket["top1"] += top1
        bucket["top3"] += top3
    return {"per_set": per_set, "per_standard": totals, "misses": misses, "picks": picks}


def calibration(picks: list[tuple[float | None, bool]]) -> list[dict]:
    """Per confidence bucket of the first candidate: how many picks, their mean confidence and how
    many were right. Fields with no candidate (abstentions) are one more row."""
    rows = []
    low = 0.0
    for high in BUCKETS:
        inside = [(c, right) for c, right in picks if c is not None and (low <= c < high or (high == 1.0 and c == 1.0))]
        rows.append(
            {
                "low": low,
                "high": high,
                "count": len(inside),
                "mean": sum(c for c, _ in inside) / len(inside) if inside else None,
                "right": sum(1 for _, right in inside if right),
            }
        )
        low = high
    abstained = [right for c, right in picks if c is None]
    rows.append({"low": None, "high": None, "count": len(abstained), "mean": None, "right": 0})
    return rows


def expected_calibration_error(picks: list[tuple[float | None, bool]]) -> float:
    """Mean |confidence - observed accuracy| over the buckets, weighted by their sizes."""
    rows = [row for row in calibration(picks) if row["low"] is not None and row["count"]]
    total = sum(row["count"] for row in rows)
    return sum(abs(row["mean"] - row["right"] / row["count"]) * row["count"] for row in rows) / total if total else 0.0


def report(results: dict, write) -> None:
    write("Suggestion accuracy on the labelled set (offline ranking)")
    for row in results["per_set"]:
        write(
            f"  {row['name']:32} {row['standard']:16} fields {row['fields']:3}  "
            f"top-1 {row['top1'] / row['fields']:6.1%}  top-3 {row['top3'] / row['fields']:6.1%}"
        )
    for standard, bucket in sorted(results["per_standard"].items()):
        top1, top3 = bucket["top1"] / bucket["fields"], bucket["top3"] / bucket["fields"]
        target = TARGETS.get(standard)
        verdict = ""
        if target is not None:
            verdict = f"  target top-1 >= {target:.0%}: {'met' if top1 >= target else 'NOT met'}"
        write(f"{standard:16} fields {bucket['fields']:3}  top-1 {top1:6.1%}  top-3 {top3:6.1%}{verdict}")
