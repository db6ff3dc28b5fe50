"""Seeded, realistic NetSuite records, generated on demand.

Each record is a pure function of (seed, record type, id), so a sandbox with 20,000 fulfillments
holds only two small arrays of modification times plus the records changed through the admin
endpoint — a benchmark reading it measures the reader, not the emulator's memory.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from connectors.demo_catalog import DEMO_CATALOG_SIZE, demo_variant

ITEM_BASE_ID = 1000
FULFILLMENT_BASE_ID = 9000
SEEDED_FROM = datetime(2025, 6, 1, tzinfo=UTC)
SEEDED_SPAN_MINUTES = 60 * 24 * 180  # seeded records were modified over six months

PRODUCTS = [
    ("TSHIRT", "T-Shirt", "Cotton crew neck T-shirt", "Apparel", 0.4, 19.99),
    ("HOODIE", "Hoodie", "Brushed fleece pullover hoodie", "Apparel", 1.1, 54.0),
    ("CAP", "Cap", "Six-panel cotton twill cap", "Accessories", 0.2, 24.0),
    ("SOCK", "Socks", "Merino crew socks", "Apparel", 0.15, 14.5),
    ("TOTE", "Tote Bag", "Heavy canvas tote", "Accessories", 0.5, 29.0),
    ("MUG", "Mug", "Stoneware mug, 12 oz", "Home", 0.9, 16.0),
    ("BOTTLE", "Bottle", "Insulated steel bottle, 20 oz", "Home", 0.8, 32.0),
    ("JACKET", "Jacket", "Water-resistant shell jacket", "Outerwear", 1.6, 129.0),
]
# Item kinds (by the demo catalog's kind code) and size names; SKUs and colours come from connectors.demo_catalog.
PRODUCTS_BY_CODE = {p[0]: p for p in PRODUCTS}
SIZE_NAMES = {"XS": "Extra Small", "S": "Small", "M": "Medium", "L": "Large", "XL": "Extra Large"}
LOCATIONS = [("1", "Main Warehouse"), ("2", "East Coast DC"), ("3", "Retail Backroom")]
FIRST = ["Jane", "Omar", "Priya", "Lucas", "Mei", "Sofia", "Kwame", "Elena", "Noah", "Aiko", "Diego", "Fatima"]
LAST = ["Doe", "Haddad", "Patel", "Martin", "Chen", "Rossi", "Mensah", "Novak", "Smith", "Tanaka", "Garcia", "Khan"]
STREETS = ["Market St", "Oak Ave", "2nd St", "Maple Dr", "Harbor Blvd", "Elm St", "Cedar Ln", "Main St"]
CITIES = [
    ("Austin", "TX", "787"),
    ("Portland", "OR", "972"),
    ("Brooklyn", "NY", "112"),
    ("Denver", "CO", "802"),
    ("Chicago", "IL", "606"),
    ("Raleigh", "NC", "276"),
    ("Seattle", "WA", "981"),
    ("Boston", "MA", "021"),
]
SHIP_METHODS = [
    ("ups", "UPS", "201", "UPS Ground"),
    ("ups", "UPS", "202", "UPS 2nd Day Air"),
    ("fedex", "FedEx", "301", "FedEx Home Delivery"),
    ("nonups", "USPS", "401", "USPS Priority Mail"),
]
SHIP_STATUS = [("A", "Picked"), ("B", "Packed"), ("C", "Shipped")]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def upc(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(11)]
    check = (10 - (sum(digits[0::2]) * 3 + sum(digits[1::2])) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def item_variant(index: int) -> tuple:
    """(sku, product, colour, size) of the item at a catalog position: the shared demo catalog's SKUs, so
    the fulfillments sent to Whiplash reference items the Whiplash and Shopify sandboxes hold too."""
    variant = demo_variant(index)
    product = PRODUCTS_BY_CODE[variant["code"]]
    color = (variant["colour"][:3].upper(), variant["colour"])
    size = (variant["size"], SIZE_NAMES.get(variant["size"], variant["size"]))
    return variant["sku"], product, color, size


class NetSuiteData:
    """The records of one sandbox account: seeded ones generated on demand, changed ones stored."""

    def __init__(self, seed: int = 42, records: int = 300, base_url: str = ""):
        self.seed = seed
        self.records = records
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        rng = random.Random(f"{self.seed}:modified")
        with self.lock:
            self.modified = {
                "inventoryItem": {
                    str(ITEM_BASE_ID + i): SEEDED_FROM + timedelta(minutes=rng.randrange(SEEDED_SPAN_MINUTES))
                    for i in range(self.records)
                },
                "itemFulfillment": {
                    str(FULFILLMENT_BASE_ID + i): SEEDED_FROM + timedelta(minutes=rng.randrange(SEEDED_SPAN_MINUTES))
                    for i in range(self.records)
                },
            }
            self.changed: dict[tuple[str, str], dict] = {}
            self.next_id = {
                "inventoryItem": ITEM_BASE_ID + self.records,
                "itemFulfillment": FULFILLMENT_BASE_ID + self.records,
            }
            self._sorted: dict[str, list[tuple[datetime, int]]] = {}

    # --- queries ---------------------------------------------------------------------------------
    def ids(self, record_type: str) -> list[str]:
        with self.lock:
            return sorted(self.modified[record_type], key=int)

    def ordered(self, record_type: str) -> list[tuple[datetime, int]]:
        """(lastModifiedDate, id) of every record, sorted; cached until something changes."""
        with self.lock:
            if record_type not in self._sorted:
                self._sorted[record_type] = sorted((m, int(i)) for i, m in self.modified[record_type].items())
            return self._sorted[record_type]

    def exists(self, record_type: str, record_id: str) -> bool:
        return str(record_id) in self.modified[record_type]

    def get(self, record_type: str, record_id: str) -> dict:
        record_id = str(record_id)
        with self.lock:
            stored = self.changed.get((record_type, record_id))
            modified = self.modified[record_type][record_id]
        if stored is not None:
            return stored
        build = self._item if record_type == "inventoryItem" else self._fulfillment
        return build(record_id, modified)

    # --- changes (the admin endpoint) ------------------------------------------------------------
    def upsert(self, record_type: str, record_id: str | None, fields: dict, now: datetime) -> dict:
        """Create or change a record; lastModifiedDate becomes `now` unless the change sets it."""
        with self.lock:
            if record_id is None:
                record_id = str(self.next_id[record_type])
                self.next_id[record_type] += 1
                base = (self._item if record_type == "inventoryItem" else self._fulfillment)(record_id, now)
                base["createdDate"] = iso(now)
            else:
                base = self.get(record_type, record_id)
            record = _merge(base, fields)
            record["id"] = record_id
            modified = (
                datetime.fromisoformat(fields["lastModifiedDate"].replace("Z", "+00:00"))
                if fields.get("lastModifiedDate")
                else now.replace(microsecond=0)
            )
            record["lastModifiedDate"] = iso(modified)
            self.changed[(record_type, record_id)] = record
            self.modified[record_type][record_id] = modified
            self._sorted.pop(record_type, None)
            return record

    # --- the state file ----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """What cannot be generated again from the seed: the modification times, changed and created
        records, and the next ids."""
        with self.lock:
            return {
                "records": self.records,
                "modified": {t: {i: iso(m) for i, m in times.items()} for t, times in self.modified.items()},
                "changed": [[t, i, record] for (t, i), record in self.changed.items()],
                "next_id": self.next_id,
            }

    def restore(self, data: dict) -> None:
        if data.get("records") != self.records:
            return  # another seeded size: the saved times belong to other records
        with self.lock:
            self.modified = {
                t: {i: datetime.fromisoformat(m.replace("Z", "+00:00")) for i, m in times.items()}
                for t, times in data["modified"].items()
            }
            self.changed = {(t, i): record for t, i, record in data["changed"]}
            self.next_id = {t: int(n) for t, n in data["next_id"].items()}
            self._sorted = {}

    # --- generators ------------------------------------------------------------------------------
    def _item(self, record_id: str, modified: datetime) -> dict:
        rng = random.Random(f"{self.seed}:item:{record_id}")
        index = int(record_id) - ITEM_BASE_ID
        sku, product, color, size = item_variant(index)
        price = product[5]
        cost = round(price * rng.uniform(0.28, 0.45), 2)
        per_location = []
        for loc_id, loc_name in LOCATIONS:
            on_hand = rng.randrange(0, 400)
            committed = min(on_hand, rng.randrange(0, 30))
            per_location.append(
                {
                    "links": [],
                    "location": {"id": loc_id, "refName": loc_name, "links": []},
                    "locationId": int(loc_id),
                    "quantityAvailable": on_hand - committed,
                    "quantityOnHand": on_hand,
                    "quantityCommitted": committed,
                    "quantityBackOrdered": 0,
                    "quantityOnOrder": rng.choice([0, 0, 0, 50, 100]),
                    "reorderPoint": 20,
                }
            )
        created = SEEDED_FROM - timedelta(days=rng.randrange(30, 400))
        return {
            "id": record_id,
            "externalId": f"SKU-{sku}",
            "itemId": sku,
            "displayName": f"{product[1]} {color[1]} {size[1]}",
            "upcCode": upc(rng),
            "description": product[2],
            "salesDescription": f"{product[2]}, {color[1].lower()}, {size[1].lower()}",
            "purchaseDescription": product[2],
            "itemType": {"id": "InvtPart", "refName": "InvtPart"},
            "isInactive": rng.random() < 0.05,
            "isLotItem": False,
            "isSerialItem": False,
            "class": {"id": str(PRODUCTS.index(product) + 1), "refName": product[3]},
            "manufacturer": "Ekyam Demo Goods Co.",
            "vendorName": f"{product[0]}-{color[0]}",
            "rate": price,
            "cost": cost,
            "averageCost": round(cost * rng.uniform(0.97, 1.03), 2),
            "weight": product[4],
            "weightUnit": {"id": "1", "refName": "lb"},
            "quantityAvailable": sum(p["quantityAvailable"] for p in per_location),
            "quantityOnHand": sum(p["quantityOnHand"] for p in per_location),
            "quantityCommitted": sum(p["quantityCommitted"] for p in per_location),
            "quantityBackOrdered": 0,
            "quantityOnOrder": sum(p["quantityOnOrder"] for p in per_location),
            "createdDate": iso(created),
            "lastModifiedDate": iso(modified),
            "subsidiary": {"items": [{"id": "1", "refName": "Ekyam Demo Inc."}], "totalResults": 1},
            "price": {
                "items": [
                    {
                        "links": [],
                        "currencyPage": {"id": "1", "refName": "USA"},
                        "priceLevel": {"id": "1", "refName": "Base Price"},
                        "priceLevelName": "Base Price",
                        "price": price,
                        "quantity": {"value": "0"},
                        "isInactive": False,
                    },
                    {
                        "links": [],
                        "currencyPage": {"id": "1", "refName": "USA"},
                        "priceLevel": {"id": "2", "refName": "Wholesale"},
                        "priceLevelName": "Wholesale",
                        "price": round(price * 0.6, 2),
                        "quantity": {"value": "0"},
                        "isInactive": False,
                    },
                ],
                "totalResults": 2,
            },
            "locations": {"items": per_location, "totalResults": len(per_location)},
        }

    def _fulfillment(self, record_id: str, modified: datetime) -> dict:
        rng = random.Random(f"{self.seed}:fulfillment:{record_id}")
        number = int(record_id) - FULFILLMENT_BASE_ID
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, zip_prefix = rng.choice(CITIES)
        carrier_id, carrier, method_id, method = rng.choice(SHIP_METHODS)
        status = rng.choices(SHIP_STATUS, weights=[1, 1, 6])[0]
        tran_date = (modified - timedelta(days=rng.randrange(0, 3))).date()
        order_number = f"SO-{104000 + number}"
        address = {
            "addr1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
            "addr2": rng.choice(["", "", f"Apt {rng.randrange(1, 40)}", f"Suite {rng.randrange(100, 900)}"]),
            "city": city,
            "state": state,
            "zip": f"{zip_prefix}{rng.randrange(10, 99)}",
            "country": {"id": "US", "refName": "United States"},
            "addressee": f"{first} {last}",
            "attention": "",
            "addrPhone": f"{rng.randrange(200, 999)}-555-{rng.randrange(1000, 9999)}",
            "override": False,
        }
        address["addrText"] = "\n".join(
            p
            for p in [
                address["addressee"],
                address["addr1"],
                address["addr2"],
                f"{city} {state} {address['zip']}",
                "United States",
            ]
            if p
        )
        lines = []
        for line in range(1, rng.randrange(1, 5) + 1):
            # Lines ship the products the fulfillment warehouse's sandbox knows (its default catalog).
            index = rng.randrange(max(1, min(self.records, DEMO_CATALOG_SIZE)))
            sku, product, color, size = item_variant(index)
            lines.append(
                {
                    "links": [],
                    "line": line,
                    "orderLine": line,
                    "item": {"id": str(ITEM_BASE_ID + index), "refName": sku, "links": []},
                    "itemName": sku,
                    "displayName": f"{product[1]} {color[1]} {size[1]}",
                    "description": product[2],
                    "itemType": {"id": "InvtPart", "refName": "InvtPart"},
                    "itemReceive": True,
                    "quantity": rng.randrange(1, 4),
                    "quantityRemaining": 0,
                    "location": {"id": "1", "refName": LOCATIONS[0][1]},
                    "rate": product[5],
                }
            )
        packages = []
        if status[0] != "A":
            for _ in range(rng.choice([1, 1, 1, 2])):
                packages.append(
                    {
                        "links": [],
                        "packageTrackingNumber": _tracking(rng, carrier) if status[0] == "C" else "",
                        "packageWeight": round(rng.uniform(0.3, 6.0), 2),
                        "packageDescr": "Box",
                    }
                )
        return {
            "id": record_id,
            "tranId": f"IF-{100000 + number}",
            "transactionNumber": f"ITEMSHIP{100000 + number}",
            "tranDate": tran_date.isoformat(),
            "createdDate": iso(modified - timedelta(hours=rng.randrange(1, 48))),
            "lastModifiedDate": iso(modified),
            "memo": rng.choice(["", "", "Leave at front desk", "Gift — no invoice in box"]),
            "shipStatus": {"id": status[0], "refName": status[1]},
            "status": {"id": status[0], "refName": status[1]},
            "pickedDate": tran_date.isoformat(),
            "packedDate": tran_date.isoformat() if status[0] in "BC" else None,
            "shippedDate": tran_date.isoformat() if status[0] == "C" else None,
            "createdFrom": {"id": str(7000 + number), "refName": f"Sales Order #{order_number}", "links": []},
            "orderType": "SalesOrd",
            "custbody_order_number": order_number,
            "custbody_customer_email": f"{first.lower()}.{last.lower()}@example.com",
            "entity": {"id": str(300 + number % 500), "refName": f"{first} {last}", "links": []},
            "location": {"id": "1", "refName": LOCATIONS[0][1]},
            "subsidiary": {"id": "1", "refName": "Ekyam Demo Inc."},
            "shipMethod": {"id": method_id, "refName": method},
            "shipCarrier": {"id": carrier_id, "refName": carrier},
            "shipAddress": address["addrText"],
            "shippingAddress": address,
            "shippingAddress_text": address["addrText"],
            "shipIsResidential": rng.random() < 0.8,
            "shipPhone": address["addrPhone"],
            "shippingCost": rng.choice([0.0, 5.95, 8.95, 12.5]),
            "handlingCost": 0.0,
            "item": {"items": lines, "totalResults": len(lines)},
            "package": {"items": packages, "totalResults": len(packages)},
        }


def _tracking(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "FedEx":
        return "".join(rng.choice("0123456789") for _ in range(12))
    return "9400" + "".join(rng.choice("0123456789") for _ in range(18))


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "items" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
