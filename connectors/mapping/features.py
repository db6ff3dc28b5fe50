"""What the ranker knows about a (standard field, source field) pair.

A source field is read for its words (path segments, label; GraphQL `edges[*].node` wrappers dropped), its
ancestors (which address or party it belongs to: shipping, billing, return, sender, customer), its
siblings (a block with street/city/postal siblings is an address; a list whose elements have a quantity
or a SKU is the record's lines) and its sample values (shapes.py). `heuristic` folds these into one
hand-weighted score; `vector` gives them to the learned re-ranker (reranker.py) one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from connectors.mapping import shapes as shape_detect
from connectors.mapping.vocabulary import CONTEXT, GENERIC_LEAVES, VOCABULARY
from connectors.mapping.words import similarity, tokens
from connectors.standards import fields_of

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


def _segments(path: str) -> list[tuple[str, ...]]:
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
_RECORD_NOUNS = {"order": {"order"}, "shipment": {"shipment", "fulfillment"}, "product": {"product", "item"}}
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
    segments = _segments(element_path if in_list and element_path != path else path)
    whole = _segments(path)
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
        inner = _segments(path.rsplit("[*]", 2)[-2])
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
        source.block for source in sources if "sku" in source.leaf_words and _VARIANT_WORDS & set(source.leaf_words)
    }
    sku_named = any("sku" in source.leaf_words for source in sources)
    categorised = any(_CATEGORY_WORDS & (set(source.leaf_words) | source.context) for source in sources)
    for source in sources:
        source.sku_sibling = source.block in named_sku and "sku" not in source.leaf_words
        source.category_in_record = categorised
        source.sku_in_record = sku_named and "sku" not in source.leaf_words
        source.variant_sku_sibling = source.block in variant_sku and not _VARIANT_WORDS & set(source.leaf_words)


# --- Targets ---------------------------------------------------------------------------------


@dataclass
class Target:
    path: str
    kind: str
    required: bool
    description: str
    enum: list | None
    synonyms: list[tuple[str, ...]] = field(default_factory=list)
    standard: str = ""

    @property
    def in_list(self) -> bool:
        return "[]" in self.path

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.split(".", 1)[0].removesuffix("[]") if "." in self.path else ""

    @property
    def address_part(self) -> bool:
        return self.parent in ("ship_to", "bill_to") and self.leaf in ADDRESS_PARTS


# Parents whose name belongs to the field's own name (`weight.unit` is the weight unit, not any unit).
_QUALIFIED = {"weight", "dimensions", "location", "customer"}
# Address roles whose parts share their words (a bill-to region is named like a ship-to region).
_ADDRESS_ROLES = ("ship_to", "bill_to", "address")


def _kind(type_label: str) -> str:
    if type_label.startswith("list"):
        return "list"
    return {"date-time": "datetime"}.get(type_label, type_label)


@cache
def targets_of(standard: str) -> tuple[Target, ...]:
    """The standard's mappable fields: leaves, with money/weight/dimensions values as whole or parts.
    Synonyms: the standard's own vocabulary first, then other standards' words for the same field."""
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
        leaf = path.replace("[]", "").rsplit(".", 1)[-1]
        parent = path.split(".", 1)[0] if "." in path else ""
        own = tokens(f"{parent} {leaf}" if parent in _QUALIFIED else leaf)
        phrases = list(vocabulary.get(path, []))
        aliases = [path] + ([f"{role}.{leaf}" for role in _ADDRESS_ROLES] if parent in _ADDRESS_ROLES else [])
        for other, words in VOCABULARY.items():
            for alias in aliases:
                if other != standard or alias != path:
                    phrases += [p for p in words.get(alias, []) if p not in phrases]
        synonyms = []
        nouns = _RECORD_NOUNS.get(standard, set())
        for phrase in phrases:
            words = tokens(phrase)
            recorded = len(words) == 2 and words[0] in nouns and (standard != "product" or words[1] != "id")
            for candidate in (words, ("record", *words[1:]) if recorded else ()):
                if candidate and candidate not in synonyms:
                    synonyms.append(candidate)
        if own not in synonyms:
            synonyms.append(own)
        out.append(Target(path, kind, spec["required"], spec["description"], spec.get("enum"), synonyms, standard))
    return tuple(out)


# --- Pair features ---------------------------------------------------------------------------

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
_WEAK_ROLE_WORDS = {"to"}
_TEXT_LEAVES = {"name", "email", "phone", "description", "company", "brand"}
# Fields a person reads and types: a generated key (UUID, long hex) is the record's technical id instead.
_HUMAN_IDENTIFIERS = {"sku", "order_number", "shipment_number", "product_type", "brand"}
# Shapes distinctive enough to propose a field whose name shares no word with the target.
_SHAPE_ONLY = {"country", "currency", "email", "gtin", "tracking"}
# Ancestors or words that make a field part of something other than an address or a party: the shipping
# *method's* name, a discount's or a fee's amount, a product's id inside a stock record.
_NOT_A_PARTY = {"method", "service", "carrier", "rate", "option", "courier", "provider", "level", "via"}
_ADJUSTMENTS = {"discount", "adjustment", "promotion", "coupon", "tax", "fee", "refund", "duty", "applied"}
_ITEM_WORDS = {"product", "item", "variant", "sku", "article", "material"}
# A person or a secondary reference is no document number: `salesRepCode`, `externalReference`.
_NOT_THE_NUMBER = {"status", "sale", "rep", "salesperson", "agent", "user", "employee", "external", "secondary"}
# Line quantities: what was shipped against what was ordered (or is still open).
_SHIPPED_WORDS = {"ship", "fulfill", "fulfilled", "pick", "picked", "pack", "packed", "dispatch", "deliver"}
_ORDERED_WORDS = {"order", "open", "backorder", "remain", "remaining", "cancel", "return", "refund", "request"}
# Words of a deadline or an estimate: `DespatchByDate`, `due_date`, `estimatedArrival` say when something
# should happen, not when it did.
_DEADLINE_WORDS = {"by", "due", "deadline", "estimate", "estimated", "expected", "earliest", "latest", "promise"}
_TIME_WORDS = {"date", "time", "timestamp", "at", "created", "updated", "modified", "on", "when"}
# A yes/no flag that says whether a product is live (`is_visible`, `archived`, `purchasing_disabled`,
# `IsSold`), unlike one about something else (`is_featured`, `is_free_shipping`, `IsTrackedAsInventory`).
_STATUS_FLAGS = {
    "active",
    "inactive",
    "enable",
    "disable",
    "archive",
    "visible",
    "visibility",
    "hidden",
    "sellable",
    "sold",
    "publish",
    "delete",
    "discontinued",
    "purchasable",
    "available",
    "availability",
    "blocked",
    "live",
    "valid",
}
# Another party or thing whose id or name is no document number: `customer_id`, `store_name`, `items[*].name`.
_OTHER_ENTITIES = {"customer", "buyer", "user", "store", "shop", "product", "item", "variant", "carrier", "warehouse"}
_DOCUMENT_WORDS = {"order", "shipment", "fulfillment", "receipt", "document", "increment", "record", "invoice"}
_VARIANT_WORDS = {"variant", "offer", "model", "seller", "merchant", "variation"}
_STATUS_TEXT = {"message", "name", "description", "label", "text", "reference"}
# Words of statuses, as the standards' values and the usual vendors' ones say them.
_STATUS_VALUE_WORDS = {
    "transit",
    "deliver",
    "delivered",
    "ship",
    "shipped",
    "cancel",
    "cancelled",
    "canceled",
    "pending",
    "pick",
    "picked",
    "pack",
    "packed",
    "return",
    "returned",
    "fail",
    "failure",
    "exception",
    "fulfil",
    "fulfilled",
    "active",
    "inactive",
    "archive",
    "archived",
    "draft",
}


def _enum_like_share(target: Target, source: Source) -> float:
    """How many of the string samples name one of the field's values (`TRANSIT`, `DELIVERED` for a shipment
    status; `SUCCESS`, `QUEUED` do not)."""
    values = {w for value in target.enum or () for w in tokens(str(value))} | _STATUS_VALUE_WORDS
    texts = [str(v) for v in source.samples if isinstance(v, str) and v]
    if not texts:
        return 0.0
    return sum(1 for text in texts if set(tokens(text)) & values) / len(texts)


_COUNT_WORDS = {"quantity", "count", "weight", "number"}
_MONEY_WORDS = {"total", "subtotal", "amount", "price", "cost", "value", "grand"}
_SELLER_SIDE = {"seller", "private", "internal", "staff", "merchant", "admin"}
_BUYER_SIDE = {"buyer", "customer", "public", "gift"}
_STOCK_WORDS = {"inventory", "stock", "quantity"}
_MAKERS = {"manufacturer", "vendor", "supplier", "mpn", "brand"}
_CATEGORY_WORDS = {"category", "taxonomy"}
# A product's kind (physical/digital, simple/variable, goods/service), unlike its merchandise category.
_KIND_WORDS = {"type", "kind"}
# Another thing whose name a product field may carry: `Category.name`, `Manufacturer.name`, `taxClass.name`.
NOT_THE_PRODUCT = {
    "category",
    "manufacturer",
    "brand",
    "vendor",
    "supplier",
    "warehouse",
    "location",
    "store",
    "shop",
    "tax",
    "ship",
    "carrier",
    "unit",
    "image",
    "tag",
    "option",
    "attribute",
    "channel",
    "customer",
}
# A negated kind of stock (`unallocatableQuantity`, `nonSellable`) is not that kind.
_NEGATIONS = {"un", "non", "not", "unavailable", "unallocated", "unsellable"}
# Who sells to the merchant: their price is a cost.
_PURCHASE_WORDS = {"vendor", "supplier", "purchase", "wholesale", "buy", "cost"}
# Words of the field that points to a product's parent (`itemMatrixID`, `group_id`, `ParentRef`).
_PARENT_WORDS = {"parent", "group", "matrix", "template", "master", "style", "family", "model", "handle"}
SHAPE_NAMES = {
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


def epoch_time(source: Source) -> bool:
    """Whole numbers in the range of epoch seconds/milliseconds, named like a time."""
    words = {w for variant, _ in source.variants for w in variant}
    return shape_detect.has(source.shapes, "epoch") and bool(words & _TIME_WORDS)


def shape_adjustment(target: Target, source: Source) -> tuple[float, list[str]]:
    shapes, has = source.shapes, shape_detect.has
    if not shapes:
        return 0.0, []
    notes: list[str] = []
    adjust = 0.0
    leaf = target.leaf
    expected = _SHAPE_FOR_LEAF.get(leaf)
    if expected and has(shapes, expected[0]):
        adjust += expected[1]
        notes.append(f"samples look like {SHAPE_NAMES.get(expected[0], expected[0])}")
    for shape, owner in _EXCLUSIVE.items():
        clash = leaf != owner and has(shapes, shape) and not (expected and expected[0] == shape)
        if clash and not (shape == "gtin" and target.kind in ("integer", "number")):
            adjust -= 0.25
    kind = target.kind
    if kind in ("date", "datetime"):
        if has(shapes, "date") or has(shapes, "datetime"):
            adjust += 0.1
            notes.append("samples are dates")
        elif epoch_time(source):
            adjust += 0.05
            notes.append("samples are epoch " + ("milliseconds" if has(shapes, "epoch_ms") else "seconds"))
        else:
            adjust -= 0.3
    elif kind in ("integer", "number"):
        if has(shapes, "number"):
            adjust += 0.05
            if kind == "integer" and not has(shapes, "integer"):
                adjust -= 0.2
            if epoch_time(source):
                adjust -= 0.3
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
        if has(shapes, "datetime") or has(shapes, "date") or epoch_time(source):
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


@dataclass
class Pair:
    """A scored (target, source) pair: the hand-weighted score, its parts and the reasons shown to users."""

    target: Target
    source: Source
    heuristic: float
    name: float
    exact: bool
    role: int  # 1 the wanted address/party, -1 another one, 0 none said
    shape: float
    reasons: list[str]
    verdict: bool | None = None  # the organization accepted (True) or rejected (False) this pair before


def name_match(target: Target, source: Source) -> tuple[float, str, bool]:
    return _name_match(tuple(target.synonyms), tuple(source.variants))


@lru_cache(maxsize=100_000)  # fields spelled alike (every address's `city`) are compared once per target
def _name_match(synonyms: tuple, variants: tuple) -> tuple[float, str, bool]:
    best, best_reason, exact = 0.0, "", False
    shapes = [(variant, weight, set(variant), "".join(variant)) for variant, weight in variants]
    for rank, synonym in enumerate(synonyms):
        penalty = 1 - 0.015 * min(rank, 10)
        joined = "".join(synonym)
        for variant, weight, words, run_together in shapes:
            if words.isdisjoint(synonym) and run_together != joined:
                continue  # similarity 0
            raw = similarity(variant, synonym)
            value = raw * weight * penalty
            if value > best:
                best, best_reason, exact = value, " ".join(synonym), raw == 1.0
    return best, best_reason, exact


def role_of(target: Target, source: Source) -> int:
    """1 when the ancestors name the field's address or party, -1 when they name another one (`billTo` for
    a ship-to field: the `to` alone does not make it a ship-to), 0 when they name none."""
    if target.parent in CONTEXT:
        wanted, unwanted = CONTEXT[target.parent]
        if source.context & unwanted and not source.context & (wanted - _WEAK_ROLE_WORDS):
            return -1
        if source.context & wanted:
            return 1
    return 0


def shape_only(target: Target, source: Source) -> bool:
    """The samples alone say what the field is (ISO country or currency codes, e-mails, valid barcodes,
    tracking numbers), whatever its name: `recipient.region` holding `SG`, `MY` is a country."""
    expected = _SHAPE_FOR_LEAF.get(target.leaf)
    return bool(expected and expected[0] in _SHAPE_ONLY and shape_detect.has(source.shapes, expected[0], 0.9))


def _context_adjustment(target: Target, source: Source, notes: list[str]) -> float:
    """What the ancestors and the other words of the name say against (or for) the pair."""
    words = set(source.leaf_words) | source.context
    leaf = target.leaf
    adjust = 0.0
    if (target.address_part or target.parent == "customer") and source.context & _NOT_A_PARTY:
        adjust -= 0.25
        notes.append("part of a shipping method, not an address")
    if target.kind == "money" and leaf not in ("discount", "tax", "shipping") and source.context & _ADJUSTMENTS:
        # Inside a discount, a tax line or a fee (`applied_discounts[*].amount`, `discount_amount`): no price
        # or total. The last word is left out: `total_inc_tax` is a total.
        adjust -= 0.3
    if target.parent == "location" and source.context & _ITEM_WORDS and not source.context & {"location", "warehouse"}:
        adjust -= 0.25  # the product's id or name inside a stock record
    if leaf in ("order_number", "shipment_number") and words & _NOT_THE_NUMBER:
        adjust -= 0.15
    own = set(source.leaf_words)
    if leaf in ("order_number", "shipment_number") and words & _OTHER_ENTITIES and not own & _DOCUMENT_WORDS:
        adjust -= 0.2
        notes.append("another party's or item's key")
    if target.standard == "product" and leaf == "status" and shape_detect.has(source.shapes, "boolean"):
        if own & _STATUS_FLAGS:
            adjust += 0.15
            notes.append("a yes/no flag of whether the product is live")
        else:
            adjust -= 0.1
    if leaf == "product_type" and source.category_in_record and own & _KIND_WORDS and not words & _CATEGORY_WORDS:
        # Beside a category, a `type` is the product's kind (physical, simple, goods); a named type object
        # (`productType.name`) is left alone.
        adjust -= 0.25
    if target.standard == "product" and leaf in ("name", "description") and source.context & NOT_THE_PRODUCT:
        adjust -= 0.25
        notes.append("the name or description of something else")
    if leaf == "status" and "status" in source.context and own & _STATUS_TEXT:
        adjust += 0.2  # `status.message`, `status.refName`: the status's words, beside its numeric `status.id`
    if target.enum and leaf == "status" and _enum_like_share(target, source) >= 0.5:
        adjust += 0.1
        notes.append("samples look like its values")
    if leaf == "notes" and own & _SELLER_SIDE and "to" not in own:
        adjust -= 0.15  # `PrivateNotes`, `message_from_seller`: the merchant's own notes, not the customer's
    elif leaf == "notes" and own & _BUYER_SIDE and not own & {"id", "name", "username", "email", "user"}:
        adjust += 0.1  # `PublicNotes`, `message_from_buyer`, `message_to_seller`
    if target.standard == "inventory_level" and leaf == "updated_at" and own & _STOCK_WORDS:
        adjust += 0.1  # `inventoryUpdateTimestamp`: when the quantities changed, not the item record
    if leaf == "sku" and source.context & _NOT_A_PARTY:
        adjust -= 0.25  # `deliveries[*].shippingMethod.name`: a shipping method, no item
    if leaf == "id" and shape_detect.has(source.shapes, "words", 0.5):
        adjust -= 0.25  # `Location` holding "Main Warehouse": a name, not a key
    if target.kind == "money" and own & _COUNT_WORDS:
        adjust -= 0.25  # `total_qty_ordered`: a count, no amount
    if target.parent in ("weight", "dimensions") and own and own <= _MONEY_WORDS:
        adjust -= 0.2  # a bare `total` or `amount` is money, no weight or size
    if target.kind in ("integer", "number") and leaf != "id" and source.leaf_words[-1:] == ("id",):
        adjust -= 0.25  # `inventory_id` is a key, no quantity or measure
    if target.standard == "inventory_level" and target.kind == "integer" and own & _NEGATIONS:
        adjust -= 0.2  # `unallocatableQuantity`: the opposite of the kind
    if target.kind == "money" and leaf == "price" and own & _PURCHASE_WORDS:
        adjust -= 0.15  # `vendorPrice`: what the merchant pays, a cost
    if (
        leaf == "phone"
        and shape_detect.has(source.shapes, "words", 0.5)
        and not shape_detect.has(source.shapes, "phone")
    ):
        adjust -= 0.2  # sentences are no phone number
    if leaf == "parent_sku" and not (words & _PARENT_WORDS):
        adjust -= 0.15  # the product's own SKU or key, not its parent's
    if target.in_list and leaf == "quantity":
        # The field's own name only: `order_lines[*].quantity` is any line's quantity.
        own = set(source.leaf_words)
        shipped, ordered = own & _SHIPPED_WORDS, own & _ORDERED_WORDS
        shipment = target.standard == "shipment"
        if shipped and not ordered:
            adjust += 0.1 if shipment else -0.1
        elif ordered and not shipped:
            adjust += -0.1 if shipment else 0.05
    return adjust


_PHONE_WORDS = {"phone", "telephone", "mobile", "tel", "cell", "fax"}


def _only_a_party_word(target: Target, source: Source) -> bool:
    """A key or a user name of the party (`customer_id`, `buyer.username`) for one of its text fields: the
    words shared are the party's, not the field's."""
    if target.leaf not in _TEXT_LEAVES - {"brand"}:  # a brand's id is the brand, as a reference
        return False
    if source.leaf_words[-1:] in (("id",), ("number",)) and target.leaf != "phone":
        return True
    return (
        target.leaf == "phone"
        and not set(source.leaf_words) & _PHONE_WORDS
        and not shape_detect.has(source.shapes, "phone")
    )


def _wanted_address_in_list(target: Target, source: Source) -> bool:
    """An address part inside a list of deliveries or fulfillments whose ancestors name the wanted address
    (`deliveries[*].shippingOrderAddress.firstName`): nested, but the record's ship-to all the same."""
    return target.address_part and source.address_block and role_of(target, source) > 0


def heuristic(target: Target, source: Source, verdict: bool | None = None) -> Pair | None:
    """The hand-weighted score of a pair; None when neither the names nor a distinctive shape say anything."""
    best, best_reason, exact = name_match(target, source)
    if not exact and _only_a_party_word(target, source):
        best *= 0.6  # `customer_id`, `buyer.username` share only the party's word with the customer's name or phone
    reasons = []
    if best <= 0 and shape_only(target, source):
        best = 0.3  # a weak candidate rather than none; the shape adjustment below adds its evidence
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
        # A record-level field inside the lines is unlikely; inside another list (a wrapper holding the
        # shipping details, say) less so.
        confidence *= 0.4 if source.line_list else 0.9 if _wanted_address_in_list(target, source) else 0.7
    elif target.in_list and source.in_list:
        confidence += 0.05
    # Which address / party the field belongs to.
    role = role_of(target, source)
    if role < 0:
        confidence -= 0.35
    elif role > 0:
        confidence += 0.05
    elif not target.in_list and target.parent == "" and source.context & {"bill", "billing"}:
        confidence -= 0.1
    elif target.parent == "bill_to":
        # Billing parts are named as billing; an address that names no role is where the goods go.
        confidence -= 0.1
    if target.leaf in _TEXT_LEAVES and source.leaf_words[-1:] in (("id",), ("number",)) and not exact:
        confidence -= 0.25  # a technical id or a number (`ShipToNum`) is no name, e-mail or phone
    if not (target.address_part or target.parent == "customer") and source.address_block and source.roles:
        confidence -= 0.2  # a field of a shipping/billing address is no order-level field
    adjust, notes = shape_adjustment(target, source)
    if target.leaf in _HUMAN_IDENTIFIERS and shape_detect.has(source.shapes, "opaque_id"):
        adjust -= 0.2
        notes.append("samples are generated keys")
    adjust += _context_adjustment(target, source, notes)
    if target.leaf == "sku" and source.leaf_words == ("id",) and not exact:
        # A bare `id` is the record's (or line's) technical key, not its SKU; all the more as a plain counter.
        # Beside a field named SKU anywhere in the record (`options[*].sku`), a bare `id` is surely the key.
        adjust -= 0.3 if source.sku_in_record else 0.25 if shape_detect.has(source.shapes, "integer") else 0.15
    elif target.leaf == "sku" and source.leaf_words[-1:] == ("id",) and source.sku_sibling:
        adjust -= 0.3  # `item_id` beside a field named SKU: the technical key
        notes.append("a key beside a field named SKU")
    if target.kind == "money" and target.leaf != "subtotal" and "subtotal" in source.leaf_words:
        adjust -= 0.1  # `subtotal_tax`: before discounts, beside the `total_tax` that was charged
    if target.leaf == "sku" and "sku" in source.leaf_words:
        # Named as a SKU (`customSku`, `item_sku`), unless it is the maker's or the supplier's part number.
        adjust += -0.15 if (set(source.leaf_words) | source.context) & _MAKERS else 0.1
        if source.variant_sku_sibling and set(source.leaf_words) & (_ITEM_WORDS - {"sku"}):
            adjust -= 0.3  # beside `model_sku` or `offer_sku`, `item_sku` is the product's, not the sold variant's
    if target.address_part and target.leaf != "name" and not source.address_block and not source.roles:
        adjust -= 0.1  # `fulfillments[*].state` among no street or city: a status, not a region
    if target.kind in ("date", "datetime") and source.leaf_words and set(source.leaf_words) & _DEADLINE_WORDS:
        adjust -= 0.15
        notes.append("a deadline or estimate")
    if target.leaf == "status" and source.leaf_words[-1:] == ("id",) and shape_detect.has(source.shapes, "integer"):
        adjust -= 0.2  # a status's numeric id; its name or text, when there, reads better
    confidence += adjust
    reasons.extend(notes)
    if verdict is False:
        confidence -= 0.5
        reasons.append("rejected before in your organization")
    return Pair(target, source, max(0.0, min(1.0, confidence)), best, exact, role, adjust, reasons, verdict)


def vector(pair: Pair, best_for_target: float, best_elsewhere: float) -> list[float]:
    """The re-ranker's inputs for a pair (names in reranker.FEATURES)."""
    target, source = pair.target, pair.source
    line_target = target.in_list
    header_list = not line_target and source.in_list and target.kind != "list"
    address_target = target.address_part or target.parent == "customer"
    return [
        pair.heuristic,
        pair.name,
        1.0 if pair.exact else 0.0,
        pair.heuristic - best_for_target,
        max(0.0, best_elsewhere - pair.heuristic),
        1.0 if line_target and source.line_list else 0.0,
        1.0 if line_target and not source.in_list else 0.0,
        1.0 if line_target and source.in_list and not source.line_list else 0.0,
        1.0 if header_list and source.line_list else 0.0,
        1.0 if header_list and not source.line_list else 0.0,
        1.0 if pair.role > 0 else 0.0,
        1.0 if pair.role < 0 else 0.0,
        1.0 if address_target and source.address_block else 0.0,
        1.0 if target.address_part and not source.address_block else 0.0,
        1.0 if not address_target and source.address_block and not target.in_list else 0.0,
        1.0 if target.address_part and source.roles & {"origin", "return"} else 0.0,
        pair.shape,
        1.0 if target.kind in ("date", "datetime") and epoch_time(source) else 0.0,
        min(len(_segments(source.path)), 6) / 6,
    ]
