"""The mapping engine: the Universal Reader (source record -> standard) and Writer (standard -> vendor payload).

`compile_mapping(rules, standard=..., direction=..., lookups=...)` checks a mapping once and turns
every rule into a closure with its paths, transforms and target already resolved; applying the
mapping to a record only calls those closures. Rule JSON is never looked at per record.

A record that fails (bad date, unknown lookup value, missing required value, a standard violation)
gets a `MapResult` with `output=None` and one `RecordMappingError` per problem; the next record is
unaffected. `apply_many` streams: it holds one record at a time.

This module compiles; the checks it runs are in checks.py, the compiled mapping and its results in
runtime.py.
"""

from __future__ import annotations

import string
from decimal import Decimal

from connectors.mapping.checks import (
    ACCEPTS,
    KIND_LABEL,
    MappingInvalid,
    Problems,
    Scope,
    check_enum,
    check_target,
    missing_required,
    schema_child,
    target_kind,
    value_kind,
)
from connectors.mapping.paths import (
    PathError,
    compile_getter,
    parse_path,
    parse_target,
    split_parent,
)
from connectors.mapping.runtime import CompiledMapping, MapResult, RecordMappingError
from connectors.mapping.transforms import BuildContext, SpecError, TransformError, check_spec
from connectors.standards import STANDARD_NAMES, UnknownStandard
from connectors.standards.loader import schema_of

__all__ = ["CompiledMapping", "MapResult", "MappingInvalid", "RecordMappingError", "compile_mapping"]

DIRECTIONS = ("read", "write")
SOURCE_KEYS = ("source", "first_of", "template", "value", "each")
RULE_KEYS = frozenset({*SOURCE_KEYS, "target", "transforms", "when", "required", "rules", "where", "note", "origin"})


def _finisher(produced: str, target_kind: str):
    """Compile-time choice of the small coercion between a rule's value and its target type."""
    if produced == "decimal" and target_kind == "number":
        return lambda v: float(v) if v.__class__ is Decimal else v
    if produced == "decimal":
        return lambda v: format(v, "f") if v.__class__ is Decimal else v
    if produced == "any" and target_kind == "string":
        # Vendor ids often arrive as numbers (Whiplash item id 1058); the standards keep ids as text.
        return lambda v: str(v) if v.__class__ is int or v.__class__ is float else v
    if produced == "any" and target_kind == "list":
        return lambda v: v if v.__class__ is list else [v]
    return None


# --- Compiling -------------------------------------------------------------------------------


def _source_fetcher(path: str, scope: Scope, label: str):
    """fn(record, parent) for a source path, or None after recording a problem."""
    try:
        from_parent, rest = split_parent(path)
        steps = parse_path(rest)
        get = compile_getter(rest)
    except PathError as exc:
        scope.problems.add(label, str(exc))
        return None
    if from_parent and not scope.inner:
        scope.problems.add(label, "`$parent.` can only be used inside an `each` rule")
        return None
    if scope.direction == "write" and not from_parent and scope.schema is not None:
        node = scope.schema
        for step in steps:
            free_form = node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict)
            node = schema_child(node, step)
            if node is None:
                scope.problems.add(label, f"source {path!r} is not a field of the {scope.standard} standard")
                return None
            if free_form:
                break
    if from_parent:
        return lambda record, parent: get(parent)
    return lambda record, parent: get(record)


def _compile_condition(spec, scope: Scope, label: str):
    if not isinstance(spec, dict) or "path" not in spec:
        scope.problems.add(label, "`when` must be an object with a `path` and `equals`, `in` or `exists`")
        return None
    tests = [key for key in ("equals", "not_equals", "in", "exists") if key in spec]
    if len(tests) != 1 or set(spec) - {"path", *tests}:
        scope.problems.add(label, "`when` needs a `path` and exactly one of `equals`, `not_equals`, `in`, `exists`")
        return None
    fetch = _source_fetcher(spec["path"], scope, label)
    if fetch is None:
        return None
    test = tests[0]
    expected = spec[test]
    if test == "equals":
        return lambda r, p: fetch(r, p) == expected
    if test == "not_equals":
        return lambda r, p: fetch(r, p) != expected
    if test == "in":
        if not isinstance(expected, list):
            scope.problems.add(label, "`when.in` must be a list of values")
            return None
        return lambda r, p: fetch(r, p) in expected
    wanted = bool(expected)
    return lambda r, p: (fetch(r, p) not in (None, "", [])) is wanted


def _compile_template(template, scope: Scope, label: str):
    if not isinstance(template, str):
        scope.problems.add(label, '`template` must be text such as "{tranId}-{memo}"')
        return None
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        scope.problems.add(label, f"cannot parse template {template!r}: {exc}")
        return None
    parts = []
    for literal, name, spec, conversion in parsed:
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if conversion:
            scope.problems.add(label, f"template field {{{name}!{conversion}}}: conversions are not supported")
            return None
        if not name:
            scope.problems.add(label, "template fields need a path, e.g. {tranId}")
            return None
        if "*" in name:
            scope.problems.add(label, f"template field {{{name}}} cannot use a wildcard")
            return None
        fetch = _source_fetcher(name, scope, label)
        if fetch is None:
            return None
        parts.append((fetch, spec))
    if not any(isinstance(part, tuple) for part in parts):
        scope.problems.add(label, "the template has no {field}; use `value` for a constant")
        return None
    parts = tuple(parts)

    def render(record, parent):
        out = []
        found = False
        for part in parts:
            if part.__class__ is str:
                out.append(part)
                continue
            value = part[0](record, parent)
            if value is None:
                continue
            found = True
            out.append(format(value, part[1]) if part[1] else str(value))
        return "".join(out) if found else None

    return render


def _compile_pipeline(specs, scope: Scope, label: str, kind: str):
    """(fn(value, record, parent), produced kind), or (None, kind) when there are no transforms."""
    if specs in (None, []):
        return None, kind
    if not isinstance(specs, list):
        scope.problems.add(label, '`transforms` must be a list of {"op": ...} objects')
        return None, kind
    ctx = BuildContext(
        lookups=scope.lookups, compile_source=lambda path: _source_fetcher(path, scope, label) or (lambda r, p: None)
    )
    functions = []
    for position, spec in enumerate(specs, start=1):
        try:
            name, op = check_spec(spec)
            functions.append(op.build(spec, ctx))
            kind = op.kind(spec, kind, ctx)
        except SpecError as exc:
            scope.problems.add(label, f"transform {position}: {exc}")
        except (KeyError, TypeError, ValueError) as exc:
            scope.problems.add(label, f"transform {position}: invalid options ({exc})")
    if len(functions) == 1:
        return functions[0], kind
    functions = tuple(functions)

    def pipeline(value, record, parent):
        for function in functions:
            value = function(value, record, parent)
        return value

    return pipeline, kind


def _setter(steps: tuple):
    if len(steps) == 1:
        key = steps[0]

        def set_top(out, value):
            out[key] = value

        return set_top
    head, last = steps[:-1], steps[-1]

    def set_nested(out, value):
        node = out
        for key in head:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif child.__class__ is not dict:
                raise TransformError(f"cannot set {'.'.join(steps)}: {key} already holds {child!r}", child)
            node = child
        node[last] = value

    return set_nested


def _compile_rule(rule, position: int, scope: Scope):
    """A closure run(record, parent, out, errors), or None when the rule is invalid."""
    target = rule.get("target") if isinstance(rule, dict) else None
    label = scope.label_prefix + (target if isinstance(target, str) and target else f"rule {position}")
    if not isinstance(rule, dict):
        scope.problems.add(label, "a rule must be an object with a `target`")
        return None
    unknown = set(rule) - RULE_KEYS
    if unknown:
        scope.problems.add(label, f"unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(target, str) or not target:
        scope.problems.add(label, "the rule has no `target` field")
        return None
    try:
        steps = parse_target(target)
    except PathError as exc:
        scope.problems.add(label, str(exc))
        return None
    given = [key for key in SOURCE_KEYS if key in rule]
    if len(given) != 1:
        scope.problems.add(
            label, f"a rule needs exactly one of {', '.join(SOURCE_KEYS)} (got {', '.join(given) or 'none'})"
        )
        return None
    node = None
    if scope.direction == "read":
        node = check_target(steps, scope, label)
        if node is None:
            return None
    normalized = scope.label_prefix + target
    if given[0] == "each":
        return _compile_each(rule, steps, node, label, normalized, scope)

    condition = _compile_condition(rule["when"], scope, label) if "when" in rule else None
    kind = "any"
    source_label: str | None = None
    fetch = None
    # How the value is read: 0 = getter(record), 1 = getter(parent), 2 = fetch(record, parent).
    # Plain sources skip one call layer per record, the commonest case by far.
    mode = 2
    if "source" in rule:
        source_label = rule["source"]
        fetch = _source_fetcher(rule["source"], scope, label)
        if fetch is None:
            return None
        from_parent, rest = split_parent(source_label)
        fetch, mode = compile_getter(rest), (1 if from_parent else 0)
        if isinstance(source_label, str) and "[*]" in source_label:
            kind = "list"
    elif "first_of" in rule:
        paths = rule["first_of"]
        if not isinstance(paths, list) or not paths:
            scope.problems.add(label, "`first_of` must be a non-empty list of paths")
            return None
        fetchers = [_source_fetcher(path, scope, label) for path in paths]
        if any(f is None for f in fetchers):
            return None
        source_label = " | ".join(map(str, paths))
        fetchers = tuple(fetchers)

        def fetch(record, parent):
            for one in fetchers:
                value = one(record, parent)
                if value is not None and value != "" and value != []:
                    return value
            return None

    elif "template" in rule:
        source_label = rule["template"]
        fetch = _compile_template(rule["template"], scope, label)
        if fetch is None:
            return None
        kind = "string"
    else:
        constant = rule["value"]
        kind = value_kind(constant)

        def fetch(record, parent):
            return constant

    pipeline, kind = _compile_pipeline(rule.get("transforms"), scope, label, kind)
    finish = None
    if node is not None:
        accepts = target_kind(node)
        if kind not in ACCEPTS.get(accepts, {kind, "any"}):
            scope.problems.add(
                label,
                f"type mismatch: the rule produces {KIND_LABEL.get(kind, kind)} but {target} "
                f"is {KIND_LABEL.get(accepts, accepts)}",
            )
            return None
        finish = _finisher(kind, accepts)
        check_enum(rule, node, scope, label)
    elif kind == "decimal":
        # No schema to say otherwise (write direction): decimals travel as exact strings.
        finish = _finisher("decimal", "string")
    required = bool(rule.get("required"))
    setter = _setter(steps)
    scope.sources[normalized] = source_label
    scope.covered.add(normalized)

    key = steps[0] if len(steps) == 1 else None

    def fail(source_value, message, errors):
        errors.append(RecordMappingError(label, source_label, source_value, message))

    if mode == 0 and condition is None:
        # The common case, kept lean: a plain source path read from the record itself. It repeats `run`'s
        # steps below on purpose, without the condition and mode branches and with a direct key write:
        # this closure runs once per field per record (`bench mapping` measures it).
        def run_plain(record, parent, out, errors):
            value = raw = fetch(record)
            if pipeline is not None:
                try:
                    value = pipeline(value, record, parent)
                except TransformError as exc:
                    return fail(exc.value, exc.message, errors)
            if value is None or (not value and (value.__class__ is str or value.__class__ is list)):
                if required:
                    fail(raw, "a value is required", errors)
                return
            if finish is not None:
                value = finish(value)
            if key is not None:
                out[key] = value
                return
            try:
                setter(out, value)
            except TransformError as exc:
                fail(exc.value, exc.message, errors)

        return run_plain

    def run(record, parent, out, errors):
        if condition is not None and not condition(record, parent):
            return
        if mode == 0:
            value = raw = fetch(record)
        elif mode == 1:
            value = raw = fetch(parent)
        else:
            value = raw = fetch(record, parent)
        try:
            if pipeline is not None:
                value = pipeline(value, record, parent)
            if value is None or (not value and (value.__class__ is str or value.__class__ is list)):
                if required:
                    fail(raw, "a value is required", errors)
                return
            if finish is not None:
                value = finish(value)
            setter(out, value)
        except TransformError as exc:
            fail(exc.value, exc.message, errors)

    return run


def _compile_each(rule: dict, steps: tuple, node: dict | None, label: str, normalized: str, scope: Scope):
    if node is not None and node.get("type") != "array":
        scope.problems.add(label, f"type mismatch: an `each` rule builds a list but {rule['target']} is not a list")
        return None
    inner_rules = rule.get("rules")
    if not isinstance(inner_rules, list) or not inner_rules:
        scope.problems.add(label, "an `each` rule needs a non-empty `rules` list")
        return None
    each_path = rule["each"]
    items_of = _source_fetcher(each_path, scope, label)
    if items_of is None:
        return None
    item_schema = scope.schema
    if scope.direction == "read":
        item_schema = node.get("items") if node else None
    else:
        try:
            item_schema = scope.schema
            for step in parse_path(split_parent(each_path)[1]):
                item_schema = schema_child(item_schema, step) if item_schema is not None else None
            if item_schema is not None and item_schema.get("type") == "array":
                item_schema = item_schema.get("items")
        except PathError:
            item_schema = None
    inner_sources: dict = {}
    inner_scope = Scope(
        standard=scope.standard,
        direction=scope.direction,
        lookups=scope.lookups,
        problems=scope.problems,
        schema=item_schema,
        label_prefix=f"{label}[].",
        inner=True,
        sources=inner_sources,
        covered=scope.covered,
        each_targets=scope.each_targets,
    )
    runs = [_compile_rule(inner, i, inner_scope) for i, inner in enumerate(inner_rules, start=1)]
    if any(r is None for r in runs):
        return None
    runs = tuple(runs)
    where = _compile_condition(rule["where"], inner_scope, label) if "where" in rule else None
    condition = _compile_condition(rule["when"], scope, label) if "when" in rule else None
    required = bool(rule.get("required"))
    setter = _setter(steps)
    scope.each_targets.add(normalized)
    scope.sources[normalized] = each_path
    indexed = each_path.rsplit("[*]", 1)

    def element_path(index: int) -> str:
        return f"{indexed[0]}[{index}]{indexed[1]}" if len(indexed) == 2 else f"{each_path}[{index}]"

    # Violations found after mapping name the source of the element they are in.
    for inner_target, inner_source in inner_sources.items():
        scope.sources[inner_target] = (element_path, inner_source)

    def run(record, parent, out, errors):
        if condition is not None and not condition(record, parent):
            return
        items = items_of(record, parent)
        if items is None or items == []:
            if required:
                errors.append(RecordMappingError(label, each_path, items, "at least one element is required"))
            return
        if items.__class__ is not list:
            items = [items]
        built = []
        errors_before = len(errors)
        for index, item in enumerate(items):
            if where is not None and not where(item, record):
                continue
            element: dict = {}
            before = len(errors)
            for inner_run in runs:
                inner_run(item, record, element, errors)
            if len(errors) > before:
                for error in errors[before:]:
                    error.rule = f"{label}[{index}].{error.rule[len(label) + 3 :]}"
                    if error.source_path and not error.source_path.startswith("$parent."):
                        error.source_path = f"{element_path(index)}.{error.source_path}"
            if element:
                built.append(element)
        if built:
            try:
                setter(out, built)
            except TransformError as exc:
                errors.append(RecordMappingError(label, each_path, exc.value, exc.message))
        elif required and len(errors) == errors_before:
            errors.append(RecordMappingError(label, each_path, None, "no element produced a value"))

    return run


def compile_mapping(rules, *, standard: str, direction: str, lookups: dict[str, dict] | None = None) -> CompiledMapping:
    """Check and compile a list of rules. Raises MappingInvalid naming each bad rule."""
    problems = Problems()
    if direction not in DIRECTIONS:
        raise MappingInvalid([{"rule": "(mapping)", "message": f"direction must be read or write, not {direction!r}"}])
    try:
        schema = schema_of(standard)
    except UnknownStandard:
        raise MappingInvalid(
            [{"rule": "(mapping)", "message": f"unknown standard {standard!r}; known: {', '.join(STANDARD_NAMES)}"}]
        ) from None
    if not isinstance(rules, list):
        raise MappingInvalid([{"rule": "(mapping)", "message": "rules must be a list"}])
    scope = Scope(standard=standard, direction=direction, lookups=dict(lookups or {}), problems=problems, schema=schema)
    runs = [_compile_rule(rule, i, scope) for i, rule in enumerate(rules, start=1)]
    if problems.items:
        raise MappingInvalid(problems.items)
    missing = missing_required(standard, scope) if direction == "read" else []
    return CompiledMapping(standard, direction, tuple(runs), dict(scope.sources), missing)
