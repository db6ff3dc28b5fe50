"""The "Verify" table of step 3: one row per field of the standard, built from the rules, the source
fields and the suggestions; and the rules rebuilt from what the user chose.

Rows of list elements (`lines[].sku`) live in the list's `each` rule; rules for fields the table has
no row for (e.g. `source_ids.netsuite`) are kept as they are, in an editable "other rules" box.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

KEEP = "__rule__"
EXPRESSION_KEYS = ("source", "first_of", "template", "value")


@dataclass
class Row:
    target: str  # the standard field, `ship_to.city` or `lines[].sku`
    kind: str
    required: bool
    description: str
    list_target: str = ""  # `lines` for `lines[].sku`
    inner: str = ""  # `sku` for `lines[].sku`
    selected: str = ""  # a source path, KEEP, or "" (not mapped)
    keep: dict | None = None  # the rule's own expression when it is not a plain source
    keep_label: str = ""
    transforms: str = ""  # JSON text
    candidates: list = field(default_factory=list)
    confidence: float | None = None
    reason: str = ""
    review: bool = False  # the selected source is a suggestion marked for review (low confidence)
    errors: list = field(default_factory=list)
    options: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.target

    @property
    def keep_json(self) -> str:
        return json.dumps(self.keep) if self.keep is not None else ""

    @property
    def missing(self) -> bool:
        return self.required and not self.selected

    @property
    def suggestion(self) -> dict | None:
        """The first suggestion when nothing is selected: shown beside the dropdown, never pre-selected."""
        return self.candidates[0] if self.candidates and not self.selected else None


@dataclass
class ListGroup:
    target: str  # `lines`
    each: str  # `item.items[*]`
    rule: dict  # the group rule without its inner rules


def _describe(rule: dict) -> str:
    if "first_of" in rule:
        return "first of " + ", ".join(map(str, rule["first_of"]))
    if "template" in rule:
        return f"template {rule['template']}"
    if "value" in rule:
        return f"constant {json.dumps(rule['value'])}"
    return json.dumps({k: v for k, v in rule.items() if k not in ("target", "transforms")})


def _apply_rule(row: Row, rule: dict) -> None:
    if isinstance(rule.get("source"), str) and not rule.get("when"):
        row.selected = rule["source"]
    else:
        row.selected = KEEP
        row.keep_label = _describe(rule)
    row.keep = {k: v for k, v in rule.items() if k not in ("transforms", "origin")}
    row.transforms = json.dumps(rule["transforms"]) if rule.get("transforms") else ""


def build_rows(suggestion_fields: list[dict], rules: list) -> tuple[list[Row], list[ListGroup], list]:
    """Rows for the standard's fields, the list groups, and the rules no row shows."""
    rows: list[Row] = []
    by_target: dict[str, Row] = {}
    for entry in suggestion_fields:
        target = entry["target"]
        outer, _, inner = target.partition("[].")
        row = Row(
            target=target,
            kind=entry.get("kind", ""),
            required=bool(entry.get("required")),
            description=entry.get("description", ""),
            list_target=outer if inner else "",
            inner=inner,
            candidates=list(entry.get("candidates") or []),
        )
        rows.append(row)
        by_target[target] = row
    groups: list[ListGroup] = []
    other: list = []
    for rule in rules or []:
        if not isinstance(rule, dict):
            other.append(rule)
            continue
        target = rule.get("target", "")
        if "each" in rule:
            inner = [r for r in rule.get("rules") or [] if isinstance(r, dict)]
            inner_rows = [by_target.get(f"{target}[].{r.get('target', '')}") for r in inner]
            shown = inner and len(inner) == len(rule.get("rules") or [])
            if (
                not shown
                or any(r is None or r.keep is not None for r in inner_rows)
                or target in {g.target for g in groups}
            ):
                other.append(rule)  # a shape the table cannot show: kept whole, as JSON
                continue
            groups.append(ListGroup(target, str(rule["each"]), {k: v for k, v in rule.items() if k != "rules"}))
            for row, inner_rule in zip(inner_rows, inner, strict=True):
                _apply_rule(row, inner_rule)
            continue
        row = by_target.get(target)
        if row is None or row.keep is not None:
            other.append(rule)
            continue
        _apply_rule(row, rule)
    for row in rows:
        _annotate(row)
    return rows, groups, other


def _annotate(row: Row) -> None:
    """The confidence, reason and review mark of the suggestion matching the selected source, if any."""
    selected = row.selected
    matches = [c for c in row.candidates if c["source"] == selected]
    if row.inner and selected and not matches:
        matches = [c for c in row.candidates if c["source"].endswith("." + selected)]
    if matches:
        candidate = matches[0]
        row.confidence, row.reason = candidate["confidence"], candidate["reason"]
        row.review = bool(candidate.get("review"))


class RulesError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _loads(text: str, what: str, errors: dict, key: str, expected: type):
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        errors[key] = f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        return None
    if not isinstance(value, expected):
        errors[key] = f"{what} must be a JSON {'list' if expected is list else 'object'}."
        return None
    return value


def _rule_from_post(post, row: Row, target: str, errors: dict) -> dict | None:
    choice = post.get(f"src:{row.target}", "")
    if not choice:
        return None
    keep = _loads(post.get(f"keep:{row.target}", ""), "The kept rule", errors, row.target, dict) or {}
    if choice == KEEP:
        rule = {k: v for k, v in keep.items() if k != "target"}
        if not any(k in rule for k in EXPRESSION_KEYS):
            errors[row.target] = "Choose a source field."
            return None
    else:
        rule = {"source": choice}
        for key in ("required", "when", "note"):
            if key in keep:
                rule[key] = keep[key]
    rule = {"target": target, **rule}
    transforms = _loads(post.get(f"tx:{row.target}", ""), "Transforms", errors, row.target, list)
    if transforms:
        if not all(isinstance(t, dict) and "op" in t for t in transforms):
            errors[row.target] = 'Each transform is an object with an "op", e.g. {"op": "trim"}.'
        rule["transforms"] = transforms
    return rule


def rules_from_post(post, rows: list[Row], groups: list[ListGroup]) -> list:
    """The rules the user chose. Raises RulesError with one message per field that cannot be read."""
    errors: dict[str, str] = {}
    rules: list = []
    inner_rules: dict[str, list] = {}
    for row in rows:
        if row.list_target:
            rule = _rule_from_post(post, row, row.inner, errors)
            if rule is not None:
                inner_rules.setdefault(row.list_target, []).append(rule)
        else:
            rule = _rule_from_post(post, row, row.target, errors)
            if rule is not None:
                rules.append(rule)
    known_groups = {g.target: g for g in groups}
    for target in dict.fromkeys(r.list_target for r in rows if r.list_target):
        each = (post.get(f"each:{target}") or "").strip()
        if not inner_rules.get(target):
            continue
        if not each:
            errors[target] = f"Choose which source list becomes {target}."
            continue
        base = dict(known_groups[target].rule) if target in known_groups else {"target": target}
        base.pop("origin", None)
        rules.append({**base, "target": target, "each": each, "rules": inner_rules[target]})
    other = _loads(post.get("other_rules", ""), "Other rules", errors, "other_rules", list)
    rules.extend(other or [])
    if errors:
        raise RulesError(errors)
    return rules


def list_sources(fields: list[dict]) -> list[str]:
    """The source lists an `each` rule can iterate (`item.items[*]`)."""
    lists = set()
    for f in fields:
        path = f["path"]
        if "[*]" in path:
            lists.add(path[: path.rindex("[*]") + 3])
    return sorted(lists)


def element_sources(fields: list[dict]) -> list[str]:
    """Paths relative to a list element (`itemName` of `item.items[*].itemName`)."""
    found = set()
    for f in fields:
        path = f["path"]
        if "[*]" in path:
            tail = path[path.rindex("[*]") + 3 :].lstrip(".")
            if tail:
                found.add(tail)
    return sorted(found)


def attach_options(rows: list[Row], fields: list[dict]) -> None:
    """Each row's dropdown: (value, text, selected), suggested sources first with their confidence."""
    top_level = [f["path"] for f in fields]
    elements = element_sources(fields)
    for row in rows:
        paths = elements if row.list_target else top_level
        confidence, review = {}, set()
        for candidate in row.candidates:
            source = candidate["source"]
            if row.list_target and "[*]" in source:
                source = source[source.rindex("[*]") + 3 :].lstrip(".")
            confidence.setdefault(source, candidate["confidence"])
            if candidate.get("review"):
                review.add(source)
        ordered = [p for p in confidence if p in paths] + [p for p in paths if p not in confidence]
        options = [("", "— not mapped —", not row.selected)]
        if row.selected == KEEP:
            options.append((KEEP, f"As configured: {row.keep_label}", True))
        elif row.selected and row.selected not in paths:
            options.append((row.selected, row.selected, True))
        for path in ordered:
            text = path
            if path in confidence:
                text = f"{path} · suggested {round(confidence[path] * 100)}%" + (" · review" if path in review else "")
            options.append((path, text, path == row.selected))
        row.options = options
