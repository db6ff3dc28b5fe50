"""Ranking the source fields for every field of a standard, offline and deterministic.

1. Every (field, source) pair whose names share a word is scored by hand-written rules (features.heuristic):
   name similarity against the vocabulary, list level, which address or party the ancestors name, what
   the samples look like.
2. The best few per field are re-scored by the learned logistic re-ranker (reranker.py) from the pair's
   features, the score gap to the field's best pair and how much better the source fits another field.
   Its output is a probability: the confidence shown (see `manage.py mapping_accuracy`, calibration).
3. A one-to-one assignment across the record (assign.py) decides the first pick of each field: a source
   the assignment gives to another field is demoted, except for fields that may share a source (the
   customer's name and the bill-to name, the placed and created times, on-hand and available stock).
Candidates under MIN_CONFIDENCE are dropped (the ranker abstains); first picks under REVIEW_CONFIDENCE
are shown for review but not applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.mapping import lexicon, reranker
from connectors.mapping import shapes as shape_detect
from connectors.mapping.assign import best_assignment
from connectors.mapping.features import (
    Pair,
    Target,
    heuristic,
    shape_only,
    targets_of,
    vector,
)
from connectors.mapping.sources import Source, analyse
from connectors.mapping.transform_hints import transforms_for

MIN_CONFIDENCE = 0.02
REVIEW_CONFIDENCE = 0.5
ACCEPTED_CONFIDENCE = 0.95
REJECTED_CONFIDENCE = 0.1  # shown (marked for review) but never first while another candidate exists
POOL_MIN = 0.1  # hand-weighted score a pair needs to be re-ranked at all
POOL_SIZE = 6
SHOWN = 3
# Fields that may take a source another field also takes.
SHARED = frozenset({"customer.name", "customer.email", "customer.phone", "created_at", "on_hand"})


@dataclass
class Candidate:
    source: Source
    confidence: float
    reason: str
    transforms: list
    needs_review: bool = False
    rejected: bool = False  # the organization rejected this pair before: shown, never dropped

    def as_dict(self) -> dict:
        return {
            "source": self.source.path,
            "label": self.source.label,
            "confidence": round(self.confidence, 2),
            "review": self.needs_review or self.confidence < REVIEW_CONFIDENCE,
            "reason": self.reason,
            "transforms": self.transforms,
        }


def _words(target: Target) -> tuple[set[str], set[str]]:
    return {w for s in target.synonyms for w in s}, {"".join(s) for s in target.synonyms}


def scored_pairs(standard: str, sources: list[Source], learned: dict) -> dict[str, list[tuple[Pair, list[float]]]]:
    """Per field: its best pairs (hand-weighted score at least POOL_MIN) with their re-ranker features."""
    analyse(sources)
    source_words = [
        ({w for v, _ in s.variants for w in v}, {"".join(v) for v, _ in s.variants}, s.key) for s in sources
    ]
    raw: dict[str, list[Pair]] = {}
    for target in targets_of(standard):
        words, joined = _words(target)
        found = []
        for source, (s_words, s_joined, key) in zip(sources, source_words, strict=True):
            verdict = learned.get((target.path, key))
            if verdict is None and not (s_words & words or s_joined & joined) and not shape_only(target, source):
                continue
            pair = heuristic(target, source, verdict)
            if pair is not None and pair.heuristic >= POOL_MIN:
                found.append(pair)
        found.sort(key=lambda p: (-p.heuristic, p.source.path))
        raw[target.path] = found[:POOL_SIZE]
    # For every source, its two best fields: "is this source better used elsewhere?"
    best_of_source: dict[str, list[tuple[float, str]]] = {}
    for path, pairs in raw.items():
        for pair in pairs:
            best_of_source.setdefault(pair.source.path, []).append((pair.heuristic, path))
    for entries in best_of_source.values():
        entries.sort(reverse=True)
    out = {}
    for path, pairs in raw.items():
        best = pairs[0].heuristic if pairs else 0.0
        rows = []
        for pair in pairs:
            others = [h for h, other in best_of_source[pair.source.path][:2] if other != path]
            rows.append((pair, vector(pair, best, others[0] if others else 0.0)))
        out[path] = rows
    return out


def rank(standard: str, sources: list[Source], learned: dict, fitted: dict | None = None) -> dict[str, list[Candidate]]:
    """Up to SHOWN candidates per field, best first. `fitted`: a re-ranker other than the shipped one."""
    scored = scored_pairs(standard, sources, learned)
    fitted = fitted if fitted is not None else reranker.model()
    ranked: dict[str, list[Candidate]] = {}
    for path, rows in scored.items():
        candidates = []
        for pair, values in rows:
            confidence = reranker.probability(values, fitted) if fitted is not None else pair.heuristic
            # The organization's own verdict outweighs the model.
            if pair.verdict is True:
                confidence = max(confidence, ACCEPTED_CONFIDENCE)
            elif pair.verdict is False:
                confidence = min(confidence * 0.2, REJECTED_CONFIDENCE)
            if confidence >= MIN_CONFIDENCE or pair.verdict is False:
                candidates.append(
                    Candidate(pair.source, confidence, "; ".join(pair.reasons), [], rejected=pair.verdict is False)
                )
        candidates.sort(key=lambda c: (-c.confidence, c.source.path))
        ranked[path] = candidates
    _assign(ranked)
    _share_record_times(ranked)
    if standard == "product":
        _name_from_description(ranked)
    if fitted is not None and fitted.get("top1"):
        for candidates in ranked.values():
            _calibrate(candidates, fitted["top1"])
    for candidates in ranked.values():
        # Calibrated or demoted below the floor: the ranker abstains rather than show a near-certain miss.
        candidates[:] = [c for c in candidates if c.confidence >= MIN_CONFIDENCE or c.rejected]
    targets = {t.path: t for t in targets_of(standard)}
    for path, candidates in ranked.items():
        del candidates[SHOWN:]
        target = targets[path]
        for candidate in candidates:
            candidate.transforms = transforms_for(standard, target, candidate.source, sources)
            if not target.in_list and candidate.source.in_list and target.kind != "list":
                # One value of the record read from a list: which element is for the user to say.
                candidate.needs_review = True
                candidate.reason = "; ".join(filter(None, [candidate.reason, "inside a list: pick the element"]))
            elif target.in_list and candidate.source.path.count("[*]") > 1:
                # A list inside each line (a line's taxes): one element, or their sum, is for the user to say.
                candidate.needs_review = True
                candidate.reason = "; ".join(filter(None, [candidate.reason, "a list inside the line: pick or sum"]))
    return ranked


# When a record says only when it was placed, that is also when it was created, and the other way round.
_SAME_MOMENT = (("created_at", "placed_at"), ("placed_at", "created_at"))


def _share_record_times(ranked: dict[str, list[Candidate]]) -> None:
    """A field with no candidate, or only weak ones, takes the other's while that one has a strong first pick:
    an order's `orderDate` or `ReceivedDate` is when it was created, rather than a line's `statusDate`."""
    for mine, other in _SAME_MOMENT:
        own, theirs = ranked.get(mine), ranked.get(other)
        if own is None or not theirs:
            continue
        if own and (own[0].confidence >= REVIEW_CONFIDENCE or theirs[0].confidence < REVIEW_CONFIDENCE):
            continue
        borrowed = [
            Candidate(c.source, c.confidence * 0.8, "; ".join(filter(None, [c.reason, f"as {other}"])), [])
            for c in theirs
        ]
        taken = {c.source.path for c in borrowed}
        ranked[mine] = borrowed + [c for c in own if c.source.path not in taken]


def _name_from_description(ranked: dict[str, list[Candidate]]) -> None:
    """A product record with no name field of its own (`description`, `itemDescription` only, as in many ERPs
    and retail systems): its first short description is what people call it."""
    own, described = ranked.get("name"), ranked.get("description")
    if own is None or not described or (own and own[0].confidence >= REVIEW_CONFIDENCE):
        return
    short = [
        c
        for c in described
        if not shape_detect.has(c.source.shapes, "long_text", 0.5) and not c.source.context & lexicon.NOT_THE_PRODUCT
    ][:1]
    if short and short[0].confidence >= REVIEW_CONFIDENCE:
        c = short[0]
        borrowed = Candidate(c.source, c.confidence * 0.8, "; ".join(filter(None, [c.reason, "as the name"])), [])
        ranked["name"] = [borrowed] + [o for o in own if o.source.path != c.source.path]
        if described[0] is c and len(described) > 1:
            # The short one names the product; the next one describes it (`itemDescription` then
            # `additionalDescription`, `description1` then `description2`).
            c.confidence = min(c.confidence, described[1].confidence)
            described[:] = described[1:] + [c]


def _calibrate(candidates: list[Candidate], top1: dict) -> None:
    """The first pick's confidence: how often a first pick with this score and this lead over the second
    was right on tuning schemas of systems the model was not fitted on (see reranker.fit_top1)."""
    if not candidates:
        return
    second = candidates[1].confidence if len(candidates) > 1 else 0.0
    first = candidates[0]
    first.confidence = reranker.top1_probability(first.confidence, second, top1)
    for other in candidates[1:]:
        other.confidence = min(other.confidence, first.confidence)


def _assign(ranked: dict[str, list[Candidate]]) -> None:
    """Reorder each exclusive field's candidates so its first pick is the one the record-wide assignment
    gives it; a source assigned to another field moves behind the others, with a lower confidence."""
    exclusive = {path: candidates for path, candidates in ranked.items() if path not in SHARED and candidates}
    scores = {path: {c.source.path: c.confidence for c in candidates} for path, candidates in exclusive.items()}
    assigned = best_assignment(scores, floor=MIN_CONFIDENCE)
    owner = {source: path for path, source in assigned.items()}
    for path, candidates in exclusive.items():
        mine = assigned.get(path)
        first = [c for c in candidates if c.source.path == mine]
        free = [c for c in candidates if c.source.path != mine and owner.get(c.source.path) in (None, path)]
        taken = [c for c in candidates if c.source.path != mine and owner.get(c.source.path) not in (None, path)]
        ceiling = (first or free or [None])[0]
        for candidate in taken:
            if ceiling is not None:
                candidate.confidence = min(candidate.confidence, ceiling.confidence * 0.95)
            used_for = owner[candidate.source.path]
            candidate.reason = "; ".join(filter(None, [candidate.reason, f"a better fit for {used_for}"]))
        candidates[:] = first + free + taken
