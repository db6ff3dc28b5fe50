"""What the ranker reads of a source field (features.py scores it against a standard field): its words (path
segments, label; GraphQL `edges[*].node` wrappers dropped), its ancestors (which address or party it
belongs to) and its siblings (a block with street/city/postal siblings is an address; a list whose elements
have a quantity or a SKU is the record's lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors.mapping import lexicon
from connectors.mapping import shapes as shape_detect
from connectors.mapping.vocabulary import GENERIC_LEAVES
from connectors.mapping.words import tokens

_ARRAY = re.compile(r"\[(\*|\d*)\]")
_GRAPHQL = re.compile(r"\.edges\[\*\]\.node(?=\.|$)")
# Words of path segments that only wrap: GraphQL connections, envelopes.
_WRAPPERS = {"edge", "node", "data", "attribute", "extension"}
_MONEY_WRAPPERS = {"shop", "presentment", "money", "set"}
ADDRESS_WORDS = {"city", "street", "postal", "zip", "postcode", "country", "state", "province", "region", "line"}
LINE_WORDS = {"quantity", "sku", "price", "qty"}
ROLE_WORDS = {
    "ship": {"ship", "delivery", "recipient", "destination", "to", "consignee"},
    "bill": {"bill", "billing", "invoice", "payment", "payer"},
    "return": {"return"},
    "origin": {"from", "origin", "sender", "shipper"},
    "customer": {"customer", "buyer", "entity", "contact", "purchaser"},
}
ADDRESS_PARTS = {"name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone", "email"}


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
    block: str = ""  # the parent path: siblings share it
    outer_list: str | None = None  # the path up to the first `[*]`
    roles: set[str] = field(default_factory=set)  # from the ancestors: ship, bill, return, origin, customer
    address_block: bool = False  # siblings look like an address
    line_list: bool = False  # inside a list whose elements look like order lines
    sku_sibling: bool = False  # another field of the same object is named as a SKU
    sku_in_record: bool = False  # another field of the record is named as a SKU
    category_in_record: bool = False  # some field of the record is named as a category
    variant_sku_sibling: bool = False  # another field of the same object is the variant's or offer's SKU
    leaf_words: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return "".join(tokens(self.path))


_DECLARED = {
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


def normalized_path(path: str) -> str:
    return _ARRAY.sub(lambda m: "[*]" if m.group(1) in ("", "*") else m.group(0), str(path).strip())


def path_segments(path: str) -> list[tuple[str, ...]]:
    out = []
    for segment in _ARRAY.sub("", _GRAPHQL.sub("[*]", path)).split("."):
        words = tuple(w for w in tokens(segment) if w not in _WRAPPERS)
        if set(words) <= _MONEY_WRAPPERS:
            continue  # `shopMoney`, `presentmentMoney`: which copy of an amount, not what it is
        words = tuple(w for w in words if w != "money") or words
        if words:
            out.append(words)
    return out


# A record's own `number`, `status`, `date` or `type` is read as `<noun> number`... (see make_source).
RECORD_NOUNS = {"order": {"order"}, "shipment": {"shipment", "fulfillment"}, "product": {"product", "item"}}
_RECORD_LEAVES = {("number",), ("status",), ("date",), ("type",), ("id",)}
# What an amount's own path says when it only says "the amount": `amount.value`, `priceSet.shopMoney.amount`.
_AMOUNT_LEAVES = {("amount",), ("value",), ("cent", "amount")}
_AMOUNT_WORDS = {"amount", "value", "price", "set", "total", "sum", "cent"}


def make_source(spec: dict) -> Source:
    path = normalized_path(spec["path"])
    label = str(spec.get("label") or "")
    in_list = "[*]" in path
    list_path, element_path = None, path
    if in_list:
        head, _, tail = path.rpartition("[*]")
        list_path, element_path = head + "[*]", tail.lstrip(".") or path
    segments = path_segments(element_path if in_list and element_path != path else path)
    whole = path_segments(path)
    leaf = segments[-1] if segments else ()
    significant = list(segments)
    while len(significant) > 1 and tuple(significant[-1]) in GENERIC_LEAVES:
        significant.pop()
    variants: list[tuple[tuple[str, ...], float]] = [
        (tuple(significant[-1]) if significant else (), 1.0),
        # A bare amount leaf (`totalPriceSet.shopMoney.amount`) says little once the segments before it have said
        # which amount it is.
        (leaf, 0.95 if tuple(leaf) not in _AMOUNT_LEAVES or len(significant) == len(segments) else 0.6),
        (tuple(w for seg in segments[-2:] for w in seg), 0.95),
        (tuple(w for seg in segments for w in seg), 0.85),
    ]
    if label:
        variants.append((tokens(label), 0.95))
    if len(leaf) > 1 and leaf[-1] == "1":
        variants.append((leaf[:-1], 0.9))  # `description1`, `companyName1`: the first of a numbered series
    if path.count("[*]") > 1 and segments and {w for seg in segments for w in seg} <= _AMOUNT_WORDS:
        # The amount of an element of a list inside a list (`lineItems[*].taxes[*].amount.value`): the inner
        # list says what it is, a line's tax.
        inner = path_segments(path.rsplit("[*]", 2)[-2])
        if inner:
            variants.append((inner[-1], 0.9))
    if not in_list and len(whole) == 1 and leaf in _RECORD_LEAVES:
        variants.append((("record", *leaf), 0.9))  # `number` of an order is its order number
    context = {w for seg in whole[:-1] for w in seg}
    context |= set(leaf[:-1]) if len(leaf) > 1 else set()
    detected = shape_detect.detect(spec.get("samples"))
    for name, share in _DECLARED.get(str(spec.get("type") or "").lower(), {}).items():
        detected.setdefault(name, share)
    block = path.rsplit(".", 1)[0] if "." in path else ""
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
        block=block,
        outer_list=path.split("[*]", 1)[0] + "[*]" if in_list else None,
        roles={role for role, words in ROLE_WORDS.items() if context & words},
        leaf_words=leaf,
    )


def analyse(sources: list[Source]) -> None:
    """What each field's siblings say: an address block, the record's lines."""
    block_words: dict[str, set[str]] = {}
    list_words: dict[str, set[str]] = {}
    for source in sources:
        words = set(source.leaf_words)
        block_words.setdefault(source.block, set()).update(words)
        if source.outer_list:
            list_words.setdefault(source.outer_list, set()).update(words)
    for source in sources:
        source.address_block = len(block_words.get(source.block, set()) & ADDRESS_WORDS) >= 2
        source.line_list = bool(source.outer_list and list_words.get(source.outer_list, set()) & LINE_WORDS)
    named_sku = {source.block for source in sources if "sku" in source.leaf_words}
    variant_sku = {
        source.block
        for source in sources
        if "sku" in source.leaf_words and lexicon.VARIANT_WORDS & set(source.leaf_words)
    }
    sku_named = any("sku" in source.leaf_words for source in sources)
    categorised = any(lexicon.CATEGORY_WORDS & (set(source.leaf_words) | source.context) for source in sources)
    for source in sources:
        source.sku_sibling = source.block in named_sku and "sku" not in source.leaf_words
        source.category_in_record = categorised
        source.sku_in_record = sku_named and "sku" not in source.leaf_words
        source.variant_sku_sibling = source.block in variant_sku and not lexicon.VARIANT_WORDS & set(source.leaf_words)
