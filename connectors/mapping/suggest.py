"""AI-suggested mappings, offline and deterministic by default.

For every field of a standard, rank the source system's fields (ranking.py): names split into words
(words.py) and compared with a curated vocabulary of commerce synonyms (vocabulary.py), the path's
ancestors and siblings (which address or party, header or line: features.py), the shape of sample values
(shapes.py), a learned re-ranker whose output is a calibrated confidence (reranker.py), a one-to-one
assignment across the record (assign.py) and the organization's own feedback (accepted pairs count as
synonyms, rejected ones are ranked down). Each candidate carries the transforms it needs
(transform_hints.py). A language model, when configured (llm.py), may re-rank the candidates; its answer is
validated and ignored when bad. First picks below REVIEW_CONFIDENCE are marked for review and not applied.
"""

from __future__ import annotations

from connectors.mapping import llm
from connectors.mapping.features import targets_of
from connectors.mapping.models import SuggestionFeedback
from connectors.mapping.ranking import MIN_CONFIDENCE, REVIEW_CONFIDENCE, rank
from connectors.mapping.sources import Source, make_source, normalized_path
from connectors.mapping.words import tokens
from ekyam.tenancy import scoped

__all__ = ["MIN_CONFIDENCE", "REVIEW_CONFIDENCE", "suggest_mappings", "learned_pairs", "manual_targets"]


def learned_pairs(organization, standard: str, direction: str) -> dict:
    """(target, source key) -> True (accepted) / False (rejected); the latest verdict wins."""
    if organization is None:
        return {}
    verdicts: dict = {}
    rows = (
        scoped(SuggestionFeedback, organization)
        .filter(standard=standard, direction=direction)
        .order_by("created_at", "pk")
    )
    for row in rows.values_list("target", "source", "accepted"):
        verdicts[(row[0], "".join(tokens(normalized_path(row[1]))))] = row[2]
    # An accepted source name is a synonym for the target for any field spelled the same way.
    return verdicts


def manual_targets(rules, direction: str) -> set[str]:
    """Standard fields that already have a rule the user set (anything not marked `origin: suggested`)."""
    found: set[str] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or rule.get("origin") == "suggested":
            continue
        if "each" in rule:
            prefix = (rule.get("target") if direction == "read" else str(rule.get("each", "")).replace("[*]", "")) or ""
            for inner in rule.get("rules") or []:
                if isinstance(inner, dict) and inner.get("origin") != "suggested":
                    key = inner.get("target") if direction == "read" else inner.get("source")
                    if isinstance(key, str):
                        found.add(f"{prefix}[].{key}")
            continue
        key = rule.get("target") if direction == "read" else rule.get("source")
        if isinstance(key, str):
            found.add(key)
    return found


def _merged_rules(standard: str, direction: str, fields: list[dict], sources: dict[str, Source], rules) -> list:
    """The caller's rules plus the top suggestion for each field that has no rule yet."""
    merged = [r for r in (rules or []) if isinstance(r, dict) and r.get("origin") != "suggested"]
    groups: dict[str, dict] = {}
    for entry in fields:
        if entry["has_rule"] or not entry["candidates"]:
            continue
        top = entry["candidates"][0]
        if top["review"]:
            continue  # shown for review, not applied
        source = sources[top["source"]]
        target = entry["target"]
        if direction == "read":
            if "[]." in target:
                outer, inner = target.split("[].", 1)
                if not source.list_path:
                    continue
                group = groups.setdefault(
                    outer, {"target": outer, "each": source.list_path, "rules": [], "origin": "suggested"}
                )
                if group["each"] != source.list_path:
                    continue
                rule = {"target": inner, "source": source.element_path, "origin": "suggested"}
            else:
                rule = {"target": target, "source": source.path, "origin": "suggested"}
            if top["transforms"]:
                rule["transforms"] = top["transforms"]
        else:
            standard_path = target + (".amount" if entry["kind"] == "money" else "")
            if "[]." in target:
                outer, inner = standard_path.split("[].", 1)
                if not source.list_path:
                    continue
                vendor_list = source.list_path.removesuffix("[*]")
                group = groups.setdefault(
                    vendor_list, {"target": vendor_list, "each": f"{outer}[*]", "rules": [], "origin": "suggested"}
                )
                rule = {"target": source.element_path, "source": inner, "origin": "suggested"}
            else:
                rule = {"target": source.path, "source": standard_path, "origin": "suggested"}
        if "[]." in target:
            groups[rule_group_key(target, direction, source)]["rules"].append(rule)
        else:
            merged.append(rule)
    merged.extend(group for group in groups.values() if group["rules"])
    return merged


def rule_group_key(target: str, direction: str, source: Source) -> str:
    return target.split("[].", 1)[0] if direction == "read" else (source.list_path or "").removesuffix("[*]")


def suggest_mappings(
    standard: str,
    direction: str,
    source_fields: list[dict],
    organization=None,
    *,
    rules=None,
    rerank: bool = True,
) -> dict:
    """For every field of the standard, up to 3 ranked candidates {source, confidence, reason,
    transforms}; fields and sources left unmatched; and `rules`: the given rules plus the best
    suggestion for each field that has none (rules the user set are never replaced)."""
    sources = [make_source(spec) for spec in source_fields if isinstance(spec, dict) and spec.get("path")]
    by_path = {s.path: s for s in sources}
    learned = learned_pairs(organization, standard, direction)
    ranked = rank(standard, sources, learned)
    ranker = "offline"
    if rerank:
        outcome = llm.rerank(standard, direction, ranked, sources, learned)
        if outcome is not None:
            ranked, ranker = outcome
    taken = manual_targets(rules, direction)
    fields = []
    for target in targets_of(standard):
        candidates = ranked.get(target.path, [])
        fields.append(
            {
                "target": target.path,
                "kind": target.kind,
                "required": target.required,
                "description": target.description,
                "has_rule": target.path in taken,
                "candidates": [c.as_dict() for c in candidates],
            }
        )
    used = {entry["candidates"][0]["source"] for entry in fields if entry["candidates"]}
    return {
        "standard": standard,
        "direction": direction,
        "ranker": ranker,
        "fields": fields,
        "unmatched_fields": [entry["target"] for entry in fields if not entry["candidates"]],
        # First picks shown for review, not applied: low confidence, or one value read from inside a list.
        "review_fields": [
            entry["target"] for entry in fields if entry["candidates"] and entry["candidates"][0]["review"]
        ],
        "unmatched_sources": [s.path for s in sources if s.path not in used],
        "rules": _merged_rules(standard, direction, fields, by_path, rules),
    }
