"""Measuring suggestion accuracy on the labelled set of real commerce schemas (data/labelled/*.json).

Each file lists a system's fields (path, label, type, sample values) and, for the standard fields
that have a right answer, the acceptable source paths. Top-1 counts a field when the first
candidate is acceptable; top-3 when any of the first three is.
"""

from __future__ import annotations

import json
from pathlib import Path

from connectors.mapping.suggest import suggest_mappings

LABELLED_DIR = Path(__file__).parent / "data" / "labelled"
TARGETS = {"product": 0.9, "shipment": 0.9}


def labelled_sets(directory: Path = LABELLED_DIR) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


def evaluate(sets: list[dict] | None = None, *, rerank: bool = False) -> dict:
    """{"per_set": [...], "per_standard": {standard: {"fields", "top1", "top3"}}, "misses": [...]}."""
    per_set, misses = [], []
    totals: dict[str, dict[str, int]] = {}
    for labelled in sets if sets is not None else labelled_sets():
        result = suggest_mappings(labelled["standard"], labelled["direction"], labelled["fields"], rerank=rerank)
        by_target = {entry["target"]: [c["source"] for c in entry["candidates"]] for entry in result["fields"]}
        top1 = top3 = 0
        for target, acceptable in labelled["expected"].items():
            ranked = by_target.get(target, [])
            if ranked[:1] and ranked[0] in acceptable:
                top1 += 1
            else:
                misses.append({"set": labelled["name"], "target": target, "expected": acceptable, "got": ranked})
            if any(source in acceptable for source in ranked[:3]):
                top3 += 1
        count = len(labelled["expected"])
        per_set.append(
            {"name": labelled["name"], "standard": labelled["standard"], "fields": count, "top1": top1, "top3": top3}
        )
        bucket = totals.setdefault(labelled["standard"], {"fields": 0, "top1": 0, "top3": 0})
        bucket["fields"] += count
        bucket["top1"] += top1
        bucket["top3"] += top3
    return {"per_set": per_set, "per_standard": totals, "misses": misses}


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
