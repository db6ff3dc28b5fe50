"""What the ranker knows about a (standard field, source field) pair.

A source field is read for its words (path segments, label; GraphQL `edges[*].node` wrappers dropped), its
ancestors (which address or party it belongs to: shipping, billing, return, sender, customer), its
siblings (a block with street/city/postal siblings is an address; a list whose elements have a quantity
or a SKU is the record's lines) and its sample values (shapes.py). `heuristic` folds these into one
hand-weighted score; `vector` gives them to the learned re-ranker (reranker.py) one by one. What is read of
a source field lives in sources.py, the word sets the rules consult in lexicon.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache

from connectors.mapping import lexicon
from connectors.mapping import shapes as shape_detect
from connectors.mapping.sources import ADDRESS_PARTS, RECORD_NOUNS, Source, path_segments
from connectors.mapping.vocabulary import CONTEXT, VOCABULARY
from connectors.mapping.words import similarity, tokens
from connectors.standards import fields_of

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
        nouns = RECORD_NOUNS.get(standard, set())
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


def _enum_like_share(target: Target, source: Source) -> float:
    """How many of the string samples name one of the field's values (`TRANSIT`, `DELIVERED` for a shipment
    status; `SUCCESS`, `QUEUED` do not)."""
    values = {w for value in target.enum or () for w in tokens(str(value))} | lexicon.STATUS_VALUE_WORDS
    texts = [str(v) for v in source.samples if isinstance(v, str) and v]
    if not texts:
        return 0.0
    return sum(1 for text in texts if set(tokens(text)) & values) / len(texts)


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
    return shape_detect.has(source.shapes, "epoch") and bool(words & lexicon.TIME_WORDS)


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
    for shape, owner in lexicon.EXCLUSIVE.items():
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
        if source.context & unwanted and not source.context & (wanted - lexicon.WEAK_ROLE_WORDS):
            return -1
        if source.context & wanted:
            return 1
    return 0


def shape_only(target: Target, source: Source) -> bool:
    """The samples alone say what the field is (ISO country or currency codes, e-mails, valid barcodes,
    tracking numbers), whatever its name: `recipient.region` holding `SG`, `MY` is a country."""
    expected = _SHAPE_FOR_LEAF.get(target.leaf)
    return bool(expected and expected[0] in lexicon.SHAPE_ONLY and shape_detect.has(source.shapes, expected[0], 0.9))


def _context_adjustment(target: Target, source: Source, notes: list[str]) -> float:
    """What the ancestors and the other words of the name say against (or for) the pair."""
    words = set(source.leaf_words) | source.context
    leaf = target.leaf
    adjust = 0.0
    if (target.address_part or target.parent == "customer") and source.context & lexicon.NOT_A_PARTY:
        adjust -= 0.25
        notes.append("part of a shipping method, not an address")
    if target.kind == "money" and leaf not in ("discount", "tax", "shipping") and source.context & lexicon.ADJUSTMENTS:
        # Inside a discount, a tax line or a fee (`applied_discounts[*].amount`, `discount_amount`): no price
        # or total. The last word is left out: `total_inc_tax` is a total.
        adjust -= 0.3
    if (
        target.parent == "location"
        and source.context & lexicon.ITEM_WORDS
        and not source.context & {"location", "warehouse"}
    ):
        adjust -= 0.25  # the product's id or name inside a stock record
    if leaf in ("order_number", "shipment_number") and words & lexicon.NOT_THE_NUMBER:
        adjust -= 0.15
    own = set(source.leaf_words)
    if (
        leaf in ("order_number", "shipment_number")
        and words & lexicon.OTHER_ENTITIES
        and not own & lexicon.DOCUMENT_WORDS
    ):
        adjust -= 0.2
        notes.append("another party's or item's key")
    if target.standard == "product" and leaf == "status" and shape_detect.has(source.shapes, "boolean"):
        if own & lexicon.STATUS_FLAGS:
            adjust += 0.15
            notes.append("a yes/no flag of whether the product is live")
        else:
            adjust -= 0.1
    if (
        leaf == "product_type"
        and source.category_in_record
        and own & lexicon.KIND_WORDS
        and not words & lexicon.CATEGORY_WORDS
    ):
        # Beside a category, a `type` is the product's kind (physical, simple, goods); a named type object
        # (`productType.name`) is left alone.
        adjust -= 0.25
    if target.standard == "product" and leaf in ("name", "description") and source.context & lexicon.NOT_THE_PRODUCT:
        adjust -= 0.25
        notes.append("the name or description of something else")
    if leaf == "status" and "status" in source.context and own & lexicon.STATUS_TEXT:
        adjust += 0.2  # `status.message`, `status.refName`: the status's words, beside its numeric `status.id`
    if target.enum and leaf == "status" and _enum_like_share(target, source) >= 0.5:
        adjust += 0.1
        notes.append("samples look like its values")
    if leaf == "notes" and own & lexicon.SELLER_SIDE and "to" not in own:
        adjust -= 0.15  # `PrivateNotes`, `message_from_seller`: the merchant's own notes, not the customer's
    elif leaf == "notes" and own & lexicon.BUYER_SIDE and not own & {"id", "name", "username", "email", "user"}:
        adjust += 0.1  # `PublicNotes`, `message_from_buyer`, `message_to_seller`
    if target.standard == "inventory_level" and leaf == "updated_at" and own & lexicon.STOCK_WORDS:
        adjust += 0.1  # `inventoryUpdateTimestamp`: when the quantities changed, not the item record
    if leaf == "sku" and source.context & lexicon.NOT_A_PARTY:
        adjust -= 0.25  # `deliveries[*].shippingMethod.name`: a shipping method, no item
    if leaf == "id" and shape_detect.has(source.shapes, "words", 0.5):
        adjust -= 0.25  # `Location` holding "Main Warehouse": a name, not a key
    if target.kind == "money" and own & lexicon.COUNT_WORDS:
        adjust -= 0.25  # `total_qty_ordered`: a count, no amount
    if target.parent in ("weight", "dimensions") and own and own <= lexicon.MONEY_WORDS:
        adjust -= 0.2  # a bare `total` or `amount` is money, no weight or size
    if target.kind in ("integer", "number") and leaf != "id" and source.leaf_words[-1:] == ("id",):
        adjust -= 0.25  # `inventory_id` is a key, no quantity or measure
    if target.standard == "inventory_level" and target.kind == "integer" and own & lexicon.NEGATIONS:
        adjust -= 0.2  # `unallocatableQuantity`: the opposite of the kind
    if target.kind == "money" and leaf == "price" and own & lexicon.PURCHASE_WORDS:
        adjust -= 0.15  # `vendorPrice`: what the merchant pays, a cost
    if (
        leaf == "phone"
        and shape_detect.has(source.shapes, "words", 0.5)
        and not shape_detect.has(source.shapes, "phone")
    ):
        adjust -= 0.2  # sentences are no phone number
    if leaf == "parent_sku" and not (words & lexicon.PARENT_WORDS):
        adjust -= 0.15  # the product's own SKU or key, not its parent's
    if target.in_list and leaf == "quantity":
        # The field's own name only: `order_lines[*].quantity` is any line's quantity.
        own = set(source.leaf_words)
        shipped, ordered = own & lexicon.SHIPPED_WORDS, own & lexicon.ORDERED_WORDS
        shipment = target.standard == "shipment"
        if shipped and not ordered:
            adjust += 0.1 if shipment else -0.1
        elif ordered and not shipped:
            adjust += -0.1 if shipment else 0.05
    return adjust


def _only_a_party_word(target: Target, source: Source) -> bool:
    """A key or a user name of the party (`customer_id`, `buyer.username`) for one of its text fields: the
    words shared are the party's, not the field's."""
    if target.leaf not in lexicon.TEXT_LEAVES - {"brand"}:  # a brand's id is the brand, as a reference
        return False
    if source.leaf_words[-1:] in (("id",), ("number",)) and target.leaf != "phone":
        return True
    return (
        target.leaf == "phone"
        and not set(source.leaf_words) & lexicon.PHONE_WORDS
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
    if target.leaf in lexicon.TEXT_LEAVES and source.leaf_words[-1:] in (("id",), ("number",)) and not exact:
        confidence -= 0.25  # a technical id or a number (`ShipToNum`) is no name, e-mail or phone
    if not (target.address_part or target.parent == "customer") and source.address_block and source.roles:
        confidence -= 0.2  # a field of a shipping/billing address is no order-level field
    adjust, notes = shape_adjustment(target, source)
    if target.leaf in lexicon.HUMAN_IDENTIFIERS and shape_detect.has(source.shapes, "opaque_id"):
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
        adjust += -0.15 if (set(source.leaf_words) | source.context) & lexicon.MAKERS else 0.1
        if source.variant_sku_sibling and set(source.leaf_words) & (lexicon.ITEM_WORDS - {"sku"}):
            adjust -= 0.3  # beside `model_sku` or `offer_sku`, `item_sku` is the product's, not the sold variant's
    if target.address_part and target.leaf != "name" and not source.address_block and not source.roles:
        adjust -= 0.1  # `fulfillments[*].state` among no street or city: a status, not a region
    if target.kind in ("date", "datetime") and source.leaf_words and set(source.leaf_words) & lexicon.DEADLINE_WORDS:
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
        min(len(path_segments(source.path)), 6) / 6,
    ]
