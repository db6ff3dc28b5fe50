"""Field names as words: split case styles, separators and digits, expand abbreviations, split run-together
words (`shiptoname` -> ship to name, `qtyshipped` -> quantity ship) with English word frequencies from
`wordfreq`, and compare word lists."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from wordfreq import zipf_frequency

from connectors.mapping.vocabulary import ABBREVIATIONS, NOISE, VOCABULARY

_CAMEL = re.compile(r"([a-z0-9])([A-Z])|([A-Z]+)([A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_IRREGULAR = {
    "addresses": "address",
    "statuses": "status",
    "quantities": "quantity",
    "is": "is",
    "us": "us",
    # Past participles read as their verb: `createDate` = `createdDate`, `modifyDate` = `modifiedDate`.
    "created": "create",
    "updated": "update",
    "modified": "modify",
    "changed": "change",
    "inserted": "insert",
    "entered": "enter",
    "placed": "place",
    "received": "receive",
    "ordered": "order",
    "allocated": "allocate",
    "reserved": "reserve",
    "committed": "commit",
    "completed": "complete",
    "cancelled": "cancel",
    "canceled": "cancel",
    "delivered": "deliver",
    "fulfilled": "fulfill",
    "invoiced": "invoice",
    "processed": "process",
    "published": "publish",
    "enabled": "enable",
    "disabled": "disable",
    "archived": "archive",
    "purchased": "purchase",
}
# Words that must stay whole even when their halves are more frequent than they are.
_WHOLE = frozenset({"barcode", "username", "postcode", "zipcode", "timestamp", "scancode", "warehouse", "lastname"})
_MIN_PART_ZIPF = 2.5
_UNKNOWN = -20.0  # the log10 frequency given to a word wordfreq does not know


def stem(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "tuses")):
        return word[:-2]  # `taxes`, `addresses`, `batches`, `statuses`: not `taxe`, `addresse`
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def _log_frequency(word: str) -> float:
    if word in ABBREVIATIONS:
        return -5.0
    if 3 <= len(word) <= 5 and zipf_frequency(word, "en") < _MIN_PART_ZIPF and _splittable_abbreviation(word):
        return -6.5
    zipf = zipf_frequency(word, "en")
    return zipf - 9.0 if zipf > 0 else _UNKNOWN


_VOWELS = frozenset("aeiou")


@cache
def _known_words() -> dict[str, tuple[str, ...]]:
    """The vocabulary's own words (three letters or more) by first letter, most frequent in English first."""
    words = {v for value in ABBREVIATIONS.values() for v in value.split()}
    for fields in VOCABULARY.values():
        for phrases in fields.values():
            words.update(w for phrase in phrases for w in phrase.split())
    by_letter: dict[str, list[str]] = {}
    for word in sorted((w for w in words if len(w) >= 3 and w.isalpha()), key=lambda w: (-zipf_frequency(w, "en"), w)):
        by_letter.setdefault(word[0], []).append(word)
    return {letter: tuple(found) for letter, found in by_letter.items()}


def _in_order(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


@cache
def expand_abbreviation(word: str) -> str | None:
    """An abbreviation of a vocabulary word: `nmbr` -> number, `hnd` -> hand, `ctry` -> country, `locn` ->
    location, `alloc` -> allocated. A word of three to five letters that has no vowel or that English does
    not know is read as the shortest vocabulary word beginning with its first letter and holding its letters
    in order (the more frequent of equals); a rare one (under 3 on the Zipf scale) as the most frequent
    vocabulary word it begins. None otherwise."""
    if not 3 <= len(word) <= 5 or not word.isalpha() or word in ABBREVIATIONS:
        return None
    candidates = _known_words().get(word[0], ())
    if word in candidates:
        return None
    zipf = zipf_frequency(word, "en")
    longer = [known for known in candidates if len(known) >= len(word) + 2]
    if not _VOWELS & set(word) or zipf < 2.0:
        holding = [known for known in candidates if len(known) > len(word) and _in_order(word, known)]
        if holding:
            return min(holding, key=len)  # stable: the most frequent of the shortest
    if zipf < 3.0:
        return next((known for known in longer if known.startswith(word)), None)
    return None


def _splittable_abbreviation(part: str) -> bool:
    # Only parts without a vowel are read as abbreviations inside a run-together word: `qtyonhnd` -> qty on
    # hnd, `itemnmbr` -> item nmbr (a part English does not know, such as `currc`, would split anything).
    return not _VOWELS & set(part) and expand_abbreviation(part) is not None


@cache
def split_compound(word: str) -> tuple[str, ...]:
    """The most probable split of a run-together lowercase word into known words (each part at least two
    letters and common enough), or the word itself when keeping it whole is as probable."""
    if len(word) < 6 or not word.isalpha() or word in _WHOLE or word in ABBREVIATIONS:
        return (word,)
    size = len(word)
    best: list[tuple[float, tuple[str, ...]]] = [(0.0, ())] + [(float("-inf"), ())] * size
    for end in range(2, size + 1):
        for start in range(max(0, end - 14), end - 1):
            part = word[start:end]
            if (
                part not in ABBREVIATIONS
                and zipf_frequency(part, "en") < (4.5 if len(part) == 2 else _MIN_PART_ZIPF)
                and not (3 <= len(part) <= 5 and _splittable_abbreviation(part))
            ):
                continue
            previous = best[start]
            if previous[0] == float("-inf"):
                continue
            value = previous[0] + _log_frequency(part)
            if value > best[end][0]:
                best[end] = (value, (*previous[1], part))
    value, parts = best[size]
    if len(parts) < 2 or value <= _log_frequency(word):
        return (word,)
    return parts


@cache
def tokens(text: str) -> tuple[str, ...]:
    """`shippingAddress_1` -> ("ship", "address", "1"); `qtyOnHand` -> ("quantity", "on", "hand");
    `shiptoname` -> ("ship", "to", "name")."""
    spaced = _CAMEL.sub(lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}", text)
    out: list[str] = []
    for raw in _SPLIT.split(spaced):
        word = raw.lower()
        if not word or word in NOISE:
            continue
        for part in split_compound(word) if word not in ABBREVIATIONS else (word,):
            expanded = ABBREVIATIONS.get(part) or expand_abbreviation(part) or part
            out.extend(stem(piece) for piece in expanded.split())
    return tuple(out)


# Words too common in field names to say much on their own.
# `record` stands for the record's own noun (see features.make_source), `in` for a preposition.
WEAK_WORDS = frozenset(
    {"item", "product", "ship", "order", "customer", "number", "id", "name", "date", "code", "line", "record", "in"}
)


def _weight(word: str) -> float:
    return 0.3 if word in WEAK_WORDS else 1.0


@lru_cache(maxsize=200_000)  # the same word lists meet again for every field and every schema
def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1.0 for the same words (also when run together: `upccode` = `upc code`), else a weighted
    Dice overlap in which common words such as `item` count little (at least 0.8 less a little per extra
    word when `a` holds every word of a phrase `b` of two or more words)."""
    if not a or not b:
        return 0.0
    if a == b or "".join(a) == "".join(b):
        return 1.0
    set_a, set_b = set(a), set(b)
    if set_a == set_b:
        return 0.97  # the same words in another order: `PricePerUnit` ~ `unit price` (`per` is noise)
    common = set_a & set_b
    if not common:
        return 0.0
    # Summed in sorted order: the same float whatever the process's string hash seed.
    shared = sum(_weight(w) for w in sorted(common))
    dice = 2 * shared / (sum(_weight(w) for w in sorted(set_a)) + sum(_weight(w) for w in sorted(set_b))) * 0.9
    if len(set_b) >= 2 and set_b <= set_a:
        # Every word of a two-or-more-word phrase, with extra words around: `AmazonOrderId` ~ `order id`.
        return max(dice, 0.8 - 0.05 * (len(set_a) - len(set_b)))
    return dice
