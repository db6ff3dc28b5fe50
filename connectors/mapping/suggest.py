"""AI-suggested mappings, offline and deterministic by default.

For every field of a standard, rank the source system's fields by combining:
- name similarity: paths and labels tokenised (camelCase, snake_case, digits), abbreviations expanded,
  compared with the field's own name and a curated vocabulary of commerce synonyms (vocabulary.py);
- where the field sits: shipping vs billing address, inside a list (shipment lines) or not;
- the declared type and the shape of sample values (check-digit barcodes, e-mails, ISO codes, dates,
  money, quantities, tracking numbers: shapes.py);
- the organization's own feedback: accepted pairs count as synonyms, rejected ones are ranked down.
Each candidate carries the transforms it needs (to_date, money, a status lookup, ...). A language model,
when configured (llm.py), may re-rank the candidates; its answer is validated and ignored when bad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from connectors.mapping import shapes as shape_detect
from connectors.mapping.transforms import normalize_unit
from connectors.mapping.vocabulary import ABBREVIATIONS, CONTEXT, GENERIC_LEAVES, NOISE, VOCABULARY
from connectors.standards import fields_of

MIN_CONFIDENCE = 0.3
AUTO_APPLY_CONFIDENCE = 0.5
_CAMEL = re.compile(r"([a-z0-9])([A-Z])|([A-Z]+)([A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_ARRAY = re.compile(r"\[(\*|\d*)\]")
_IRREGULAR = {"addresses": "address", "statuses": "status", "quantities": "quantity", "is": "is", "us": "us"}


def _stem(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def tokens(text: str) -> tuple[str, ...]:
    """`shippingAddress_1` -> ("ship", "address", "1"); `qtyOnHand` -> ("quantity", "on", "hand")."""
    spaced = _CAMEL.sub(lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}", text)
    out: list[str] = []
    for raw in _SPLIT.split(spaced):
        word = raw.lower()
        if not word or word in NOISE:
            continue
        word = ABBREVIATIONS.get(word, word)
        out.extend(_stem(part) for part in word.split())
    return tuple(out)


def _phrase(text: str) -> tuple[str, ...]:
    return tokens(text)


# Words too common in field names to say much on their own.
WEAK_WORDS = frozenset({"item", "product", "ship", "order", "customer", "number", "id", "name", "date", "code", "line"})


def _weight(word: str) -> float:
    return 0.3 if word in WEAK_WORDS else 1.0


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1.0 for the same words (also when run together: `upccode` = `upc code`), else a weighted
    Dice overlap in which common words such as `item` count little."""
    if not a or not b:
        return 0.0
    if a == b or "".join(a) == "".join(b):
        return 1.0
    set_a, set_b = set(a), set(b)
    common = set_a & set_b
    if not common:
        return 0.0
    shared = sum(_weight(w) for w in common)
    return 2 * shared / (sum(_weight(w) for w in set_a) + sum(_weight(w) for w in set_b)) * 0.9


# --- Sources ---------------------------------------------------------------------------------


@dataclass
class Source:
    path: str  # as given, `[]` normalized to `[*]`
    label: str
    type: str
    samples: list
    in_list: bool
    element_path: str  # relative to the list element, or the path itself
    list_path: str | None  # `item.items[*]`
    context: set[str]
    variants: list[tuple[tuple[str, ...], float]]
    shapes: dict[str, float]

    @property
    def key(self) -> str:
        return "".join(tokens(self.path))


def _declared_shapes(kind: str) -> dict[str, float]:
    kind = (kind or "").lower()
    mapping = {
        "boolean": {"boolean": 1.0},
        "bool": {"boolean": 1.0},
        "integer": {"integer": 1.0, "number": 1.0},
        "int": {"integer": 1.0, "number": 1.0},
        "number": {"number": 1.0},
        "float": {"number": 1.0, "decimal": 1.0},
        "decimal": {"number": 1.0, "decimal": 1.0},
        "date": {"date": 1.0},
        "datetime": {"datetime": 1.0},
        "date-time": {"datetime": 1.0},
        "array": {"list": 1.0},
        "object": {"object": 1.0},
    }
    return mapping.get(kind, {})


def make_source(spec: dict) -> Source:
    path = _ARRAY.sub(lambda m: "[*]" if m.group(1) in ("", "*") else m.group(0), str(spec["path"]).strip())
    label = str(spec.get("label") or "")
    in_list = "[*]" in path
    list_path, element_path = None, path
    if in_list:
        head, _, tail = path.rpartition("[*]")
        list_path, element_path = head + "[*]", tail.lstrip(".") or path
    segments = [tokens(seg) for seg in _ARRAY.sub("", element_path).split(".") if tokens(seg)]
    leaf = segments[-1] if segments else ()
    significant = list(segments)
    while len(significant) > 1 and tuple(significant[-1]) in GENERIC_LEAVES:
        significant.pop()
    variants: list[tuple[tuple[str, ...], float]] = [
        (tuple(significant[-1]) if significant else (), 1.0),
        (leaf, 0.95),
        (tuple(w for seg in segments[-2:] for w in seg), 0.95),
        (tuple(w for seg in segments for w in seg), 0.85),
    ]
    if label:
        variants.append((tokens(label), 0.95))
    context = {w for seg in _ARRAY.sub("", path).split(".")[:-1] for w in tokens(seg)}
    context |= set(leaf[:-1]) if len(leaf) > 1 else set()
    detected = shape_detect.detect(spec.get("samples"))
    for name, share in _declared_shapes(str(spec.get("type") or "")).items():
        detected.setdefault(name, share)
    return Source(
        path=path,
        label=label,
        type=str(spec.get("type") or ""),
        samples=list(spec.get("samples") or [])[:20],
        in_list=in_list,
        element_path=element_path,
        list_path=list_path,
        context=context,
        variants=[(v, w) for v, w in variants if v],
        shapes=detected,
    )


# --- Targets ---------------------------------------------------------------------------------


@dataclass
class Target:
    path: str
    kind: str
    required: bool
    description: str
    enum: list | None
    synonyms: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def in_list(self) -> bool:
        return "[]" in self.path

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.split(".", 1)[0].removesuffix("[]") if "." in self.path else ""


def _kind(type_label: str) -> str:
    if type_label.startswith("list"):
        return "list"
    return {"date-time": "datetime"}.get(type_label, type_label)


@cache
def targets_of(standard: str) -> tuple[Target, ...]:
    """The standard's mappable fields: leaves, with money/weight/dimensions values as whole or parts."""
    vocabulary = VOCABULARY.get(standard, {})
    out = []
    specs = fields_of(standard)
    parents = {s["path"].rsplit(".", 1)[0] for s in specs if "." in s["path"]}
    for spec in specs:
        path, kind = spec["path"], _kind(spec["type"])
        if path.startswith("source_ids") or path in ("options",):
            continue
        if path in parents and kind not in ("list", "money"):
            continue  # an object: its parts are the targets
        if kind == "list" and path + "[]" in {p.split(".")[0] for p in parents}:
            continue  # a list of objects (lines): its element fields are the targets
        if ".amount" in path or ".currency" in path:
            continue
        own = tokens(path.replace("[]", "").rsplit(".", 1)[-1])
        synonyms = [tokens(s) for s in vocabulary.get(path, [])]
        if own not in synonyms:
            synonyms.append(own)
        out.append(Target(path, kind, spec["required"], spec["description"], spec.get("enum"), synonyms))
    return tuple(out)


# --- Scoring ---------------------------------------------------------------------------------

_SHAPE_FOR_LEAF = {
    "barcode": ("gtin", 0.2),
    "email": ("email", 0.25),
    "country": ("country", 0.2),
    "currency": ("currency", 0.25),
    "tracking_numbers": ("tracking", 0.25),
    "image_url": ("url", 0.25),
    "phone": ("phone", 0.1),
    "postal_code": ("zip", 0.1),
    "sku": ("code", 0.05),
    "description": ("long_text", 0.05),
}
_EXCLUSIVE = {"email": "email", "url": "image_url", "gtin": "barcode", "tracking": "tracking_numbers"}


def _shape_adjustment(target: Target, source: Source) -> tuple[float, list[str]]:
    shapes, has = source.shapes, shape_detect.has
    if not shapes:
        return 0.0, []
    notes: list[str] = []
    adjust = 0.0
    leaf = target.leaf
    expected = _SHAPE_FOR_LEAF.get(leaf)
    if expected and has(shapes, expected[0]):
        adjust += expected[1]
        notes.append(f"samples look like {_SHAPE_NAMES.get(expected[0], expected[0])}")
    for shape, owner in _EXCLUSIVE.items():
        clash = leaf != owner and has(shapes, shape) and not (expected and expected[0] == shape)
        if clash and not (shape == "gtin" and target.kind in ("integer", "number")):
            adjust -= 0.25
    kind = target.kind
    if kind in ("date", "datetime"):
        if has(shapes, "date") or has(shapes, "datetime"):
            adjust += 0.1
            notes.append("samples are dates")
        else:
            adjust -= 0.3
    elif kind in ("integer", "number"):
        if has(shapes, "number"):
            adjust += 0.05
            if kind == "integer" and not has(shapes, "integer"):
                adjust -= 0.2
        else:
            adjust -= 0.35
    elif kind == "money":
        if has(shapes, "number"):
            adjust += 0.05
            notes.append("samples are amounts")
        else:
            adjust -= 0.35
    elif kind == "boolean":
        adjust += 0.1 if has(shapes, "boolean") else -0.25
    elif kind == "string":
        if target.enum is None and has(shapes, "boolean") and leaf not in ("status",):
            adjust -= 0.3
        if has(shapes, "datetime") or has(shapes, "date"):
            adjust -= 0.3
        if leaf == "sku" and (has(shapes, "long_text", 0.5) or has(shapes, "words", 0.5)):
            adjust -= 0.25
        if leaf in ("name", "description") and has(shapes, "number") and not has(shapes, "words", 0.3):
            adjust -= 0.15
    elif (
        kind == "list"
        and leaf == "tracking_numbers"
        and not (has(shapes, "tracking") or source.in_list or has(shapes, "list"))
    ):
        adjust -= 0.1
    return adjust, notes


_SHAPE_NAMES = {
    "gtin": "UPC/EAN codes with valid check digits",
    "email": "e-mail addresses",
    "country": "ISO country codes",
    "currency": "ISO currency codes",
    "tracking": "carrier tracking numbers",
    "url": "URLs",
    "phone": "phone numbers",
    "zip": "postal codes",
    "code": "codes",
    "long_text": "long text",
}


@dataclass
class Candidate:
    source: Source
    confidence: float
    reason: str
    transforms: list

    def as_dict(self) -> dict:
        return {
            "source": self.source.path,
            "label": self.source.label,
            "confidence": round(self.confidence, 2),
            "reason": self.reason,
            "transforms": self.transforms,
        }


def score(target: Target, source: Source, learned: dict | None = None) -> Candidate | None:
    learned = learned or {}
    verdict = learned.get((target.path, source.key))
    best, best_reason, exact = 0.0, "", False
    for rank, synonym in enumerate(target.synonyms):
        for variant, weight in source.variants:
            raw = similarity(variant, synonym)
            value = raw * weight * (1 - 0.015 * rank)
            if value > best:
                best, best_reason, exact = value, " ".join(synonym), raw == 1.0
    reasons = []
    if exact:
        reasons.append(f"name matches “{best_reason}”")
    elif best > 0:
        reasons.append(f"name resembles “{best_reason}”")
    if verdict is True:
        best, exact = max(best, 1.0), True
        reasons.insert(0, "accepted before in your organization")
    confidence = best * 0.85 + (0.1 if exact else 0.0)
    if confidence <= 0:
        return None
    # Inside a list or not.
    if target.in_list and not source.in_list:
        confidence *= 0.3
    elif not target.in_list and source.in_list and target.kind != "list":
        confidence *= 0.4
    elif target.in_list and source.in_list:
        confidence += 0.05
    # Which address / party the field belongs to.
    if target.parent in CONTEXT:
        wanted, unwanted = CONTEXT[target.parent]
        if source.context & unwanted and not source.context & wanted:
            confidence -= 0.35
        elif source.context & wanted:
            confidence += 0.05
    elif not target.in_list and target.parent == "" and source.context & {"bill", "billing"}:
        confidence -= 0.1
    adjust, notes = _shape_adjustment(target, source)
    confidence += adjust
    reasons.extend(notes)
    if verdict is False:
        confidence -= 0.5
        reasons.append("rejected before in your organization")
    confidence = max(0.0, min(1.0, confidence))
    if confidence < MIN_CONFIDENCE:
        return None
    return Candidate(source, confidence, "; ".join(reasons), [])


# --- Suggested transforms --------------------------------------------------------------------

STATUS_WORDS = {
    "shipment": {
        "a": "picked",
        "b": "packed",
        "c": "shipped",
        "picked": "picked",
        "packed": "packed",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "processing": "pending",
        "pending": "pending",
        "printed": "pending",
        "label purchased": "packed",
        "shipped externally": "shipped",
    },
    "product": {"active": "active", "draft": "inactive", "archived": "archived", "inactive": "inactive"},
}


def _lookup_for_enum(standard: str, target: Target, source: Source) -> list:
    samples = [s for s in source.samples if s is not None and s != ""]
    if not samples or not target.enum:
        return []
    as_text = [str(s) for s in samples]
    if all(s in target.enum for s in as_text):
        return []
    if all(s.lower() in target.enum for s in as_text):
        return [{"op": "lower"}]
    if target.leaf == "unit":
        values = {s: normalize_unit(s) for s in as_text if normalize_unit(s) in target.enum}
        return [{"op": "lookup", "values": values}] if values else []
    if all(isinstance(s, bool) or str(s).lower() in ("true", "false") for s in samples) and target.leaf == "status":
        inverted = "inactive" in source.element_path.lower()
        yes, no = ("inactive", "active") if inverted else ("active", "inactive")
        return [{"op": "lookup", "values": {"true": yes, "false": no, "True": yes, "False": no}}]
    words = STATUS_WORDS.get(standard, {})
    values = {s: words[s.lower()] for s in as_text if s.lower() in words and words[s.lower()] in target.enum}
    return [{"op": "lookup", "values": values}] if values else []


def _currency_source(sources: list[Source], source: Source) -> Source | None:
    for other in sources:
        if other is not source and "currency" in tokens(other.element_path) and other.in_list == source.in_list:
            return other
    return None


def transforms_for(standard: str, target: Target, source: Source, sources: list[Source]) -> list:
    shapes, has = source.shapes, shape_detect.has
    kind = target.kind
    samples = [s for s in source.samples if s is not None and s != ""]
    if kind == "date":
        if samples and all(isinstance(s, str) and re.match(r"^\d{1,2}/\d{1,2}/\d{4}$", s) for s in samples):
            return [{"op": "to_date", "format": "%m/%d/%Y"}]
        return [{"op": "to_date"}]
    if kind == "datetime":
        return [{"op": "to_datetime"}]
    if kind == "integer":
        return [] if samples and all(type(s) is int for s in samples) else [{"op": "to_integer"}]
    if kind == "number":
        return [{"op": "to_decimal"}] if has(shapes, "numeric_text") or not samples else []
    if kind == "money":
        currency = _currency_source(sources, source)
        if currency is not None:
            path = currency.element_path if source.in_list else currency.path
            return [{"op": "money", "currency_path": path}]
        return [{"op": "money", "currency": "USD"}]
    if kind == "boolean":
        return [] if samples and all(isinstance(s, bool) for s in samples) else [{"op": "to_boolean"}]
    if target.enum:
        return _lookup_for_enum(standard, target, source)
    if target.leaf in ("country", "region", "currency") and samples and any(str(s) != str(s).upper() for s in samples):
        return [{"op": "upper"}]
    if kind == "list" and samples and all(isinstance(s, str) and "," in s for s in samples):
        return [{"op": "split", "separator": ","}]
    return []


# --- Putting it together ---------------------------------------------------------------------


def learned_pairs(organization, standard: str, direction: str) -> dict:
    """(target, source key) -> True (accepted) / False (rejected); the latest verdict wins."""
    if organization is None:
        return {}
    from connectors.mapping.models import SuggestionFeedback
    from ekyam.tenancy import scoped

    verdicts: dict = {}
    rows = (
        scoped(SuggestionFeedback, organization)
        .filter(standard=standard, direction=direction)
        .order_by("created_at", "pk")
    )
    for row in rows.values_list("target", "source", "accepted"):
        verdicts[(row[0], "".join(tokens(_ARRAY.sub("[*]", row[1]))))] = row[2]
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


def rank(standard: str, sources: list[Source], learned: dict) -> dict[str, list[Candidate]]:
    ranked: dict[str, list[Candidate]] = {}
    for target in targets_of(standard):
        candidates = [c for c in (score(target, s, learned) for s in sources) if c is not None]
        candidates.sort(key=lambda c: (-c.confidence, c.source.path))
        for candidate in candidates[:3]:
            candidate.transforms = transforms_for(standard, target, candidate.source, sources)
        ranked[target.path] = candidates[:3]
    return ranked


def _merged_rules(standard: str, direction: str, fields: list[dict], sources: dict[str, Source], rules) -> list:
    """The caller's rules plus the top suggestion for each field that has no rule yet."""
    merged = [r for r in (rules or []) if isinstance(r, dict) and r.get("origin") != "suggested"]
    groups: dict[str, dict] = {}
    for entry in fields:
        if entry["has_rule"] or not entry["candidates"]:
            continue
        top = entry["candidates"][0]
        if top["confidence"] < AUTO_APPLY_CONFIDENCE:
            continue
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
        from connectors.mapping import llm

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
        "unmatched_sources": [s.path for s in sources if s.path not in used],
        "rules": _merged_rules(standard, direction, fields, by_path, rules),
    }
