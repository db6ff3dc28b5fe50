"""The demo catalog every vendor sandbox shares, so the demo's flows meet the same SKUs on every side:
NetSuite items and fulfillment lines, Whiplash items and Shopify inventory items.

SKUs depend only on the position in the catalog (`demo_variant(index)`); prices, barcodes, weights and
stock come from the seed, so one seed gives the same products everywhere.
"""

from __future__ import annotations

import random

COLOURS = ["Black", "White", "Navy", "Olive", "Sand", "Rust", "Teal", "Plum"]
SIZES = ["S", "M", "L", "XL"]
KINDS = [("TSHIRT", "T-Shirt"), ("HOODIE", "Hoodie"), ("CAP", "Cap"), ("TOTE", "Tote Bag"), ("MUG", "Mug")]
# How many products the Whiplash and Shopify sandboxes hold by default; NetSuite fulfillments ship these.
DEMO_CATALOG_SIZE = 40


def demo_variant(index: int) -> dict:
    """The product at a catalog position: sku, kind code and name, colour, size."""
    code, kind = KINDS[index % len(KINDS)]
    colour = COLOURS[(index // len(KINDS)) % len(COLOURS)]
    size = SIZES[(index // (len(KINDS) * len(COLOURS))) % len(SIZES)]
    sku = f"{code}-{colour[:3].upper()}-{size}" + ("" if index < 160 else f"-{index}")
    return {"sku": sku, "code": code, "kind": kind, "colour": colour, "size": size}


def demo_catalog(seed: int = 42, count: int = DEMO_CATALOG_SIZE) -> list[dict]:
    """`count` products: sku, title, price, barcode, weight (lb), base quantity."""
    rng = random.Random(seed)
    products = []
    for index in range(count):
        variant = demo_variant(index)
        products.append(
            {
                "sku": variant["sku"],
                "title": f"{variant['kind']} {variant['colour']} {variant['size']}",
                "price": f"{rng.randint(800, 6000) / 100:.2f}",
                "barcode": f"{rng.randint(10**11, 10**12 - 1)}",
                "weight": f"{rng.randint(5, 200) / 100:.2f}",
                "quantity": rng.randint(0, 300),
            }
        )
    return products
