"""Source paths: `shippingAddress.country.id`, list indexes `items[0]`, wildcards `item.items[*].quantity`.

A path is parsed once into steps and compiled into a getter function; reading a record never
looks at the path text again. Getters return None for anything missing (wrong type, short list),
and a list (Nones dropped) when the path has a wildcard.
"""

from __future__ import annotations

import re

PARENT = "$parent"
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[(?:-?\d+|\*)\])*)")
_INDEX = re.compile(r"\[(-?\d+|\*)\]")
WILDCARD = object()


class PathError(ValueError):
    pass


def parse_path(path) -> tuple:
    """`a.b[0][*]` -> ("a", "b", 0, WILDCARD). Raises PathError with a specific message."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("a path must be a non-empty string")
    if path != path.strip():
        raise PathError(f"path {path!r} has leading or trailing spaces")
    steps: list = []
    for part in path.split("."):
        if not part:
            raise PathError(f"path {path!r} has an empty segment (two dots, or a dot at either end)")
        match = _SEGMENT.fullmatch(part)
        if not match:
            raise PathError(f"cannot parse {part!r} in path {path!r}: use name, name[0] or name[*]")
        steps.append(match.group(1))
        for index in _INDEX.findall(match.group(2)):
            steps.append(WILDCARD if index == "*" else int(index))
    return tuple(steps)


def split_parent(path: str) -> tuple[bool, str]:
    """`$parent.x.y` -> (True, "x.y")."""
    if path == PARENT:
        raise PathError("`$parent` needs a field after it, e.g. `$parent.tranId`")
    if path.startswith(PARENT + "."):
        return True, path[len(PARENT) + 1 :]
    return False, path


def _plain_getter(steps: tuple):
    """Getter for steps without wildcards, generated as straight-line code: `r[k0][k1]...`.
    The keys are passed as variables, never written into the source text."""
    if not steps:
        return lambda record: record
    namespace = {f"_k{i}": step for i, step in enumerate(steps)}
    subscripts = "".join(f"[_k{i}]" for i in range(len(steps)))
    source = (
        "def get(record):\n"
        "    try:\n"
        f"        return record{subscripts}\n"
        "    except (KeyError, IndexError, TypeError):\n"
        "        return None\n"
    )
    # A fixed template: the keys are bound as names in the namespace, never written into code.
    exec(source, namespace)
    return namespace["get"]


def compile_getter(path: str):
    """Parse and compile a path into `get(record) -> value | list | None`."""
    steps = parse_path(path)
    if WILDCARD not in steps:
        return _plain_getter(steps)
    cut = steps.index(WILDCARD)
    head = _plain_getter(steps[:cut])
    rest = steps[cut + 1 :]
    if not rest:

        def get_all(record):
            items = head(record)
            if type(items) is not list:
                return None
            return [item for item in items if item is not None]

        return get_all
    tail_is_wild = WILDCARD in rest
    tail = compile_getter_steps(rest)

    def get_each(record):
        items = head(record)
        if type(items) is not list:
            return None
        out = []
        for item in items:
            value = tail(item)
            if value is None:
                continue
            if tail_is_wild:
                out.extend(value)
            else:
                out.append(value)
        return out

    return get_each


def compile_getter_steps(steps: tuple):
    return compile_getter(format_steps(steps)) if WILDCARD in steps else _plain_getter(steps)


def format_steps(steps: tuple) -> str:
    text = ""
    for step in steps:
        if step is WILDCARD:
            text += "[*]"
        elif isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def parse_target(path) -> tuple[str, ...]:
    """Target paths are plain dotted names: `ship_to.city`."""
    steps = parse_path(path)
    if any(not isinstance(step, str) for step in steps):
        raise PathError(f"target {path!r} cannot contain list indexes; build lists with an `each` rule")
    if steps[0] == PARENT:
        raise PathError("`$parent` can only be used in sources")
    return steps
