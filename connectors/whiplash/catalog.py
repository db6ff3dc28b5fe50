"""The demo catalog shared by the Whiplash and Shopify sandboxes, so the Inventory Sync demo has SKUs
that exist on both sides. Deterministic for a seed: the same seed gives the same products."""

from __future__ import annotations

import random

COLOURS = ["Black", "White", "Navy", "Olive", "Sand", "Rust", "Teal", "Plum"]
SIZES = ["S", "M", "L", "XL"]
KINDS = [("TSHIRT", "T-Shirt"), ("HOODIE", "Hoodie"), ("CAP", "Cap"), ("TOTE", "Tote Bag"), ("MUG", "Mug")]


def demo_catalog(seed: int = 42, count: int = 40) -> list[dict]:
    """`count` products: sku, title, price, barcode, weight (lb), base quantity."""
    rng = random.Random(seed)
    products = []
    for index in range(count):
        code, kind = KINDS[index % len(KINDS)]
        colour = COLOURS[(index // len(KINDS)) % len(COLOURS)]
        size = SIZES[(index // (len(KINDS) * len(COLOURS))) % len(SIZES)]
        products.append(
            {
                "sku": f"{code}-{colour[:3].upper()}-{size}" + ("" if index < 160 else f"-{index}"),
                "title": f"{kind} {colour} {size}",
                "price": f"{rng.randint(800, 6000) / 100:.2f}",
                "barcode": f"{rng.randint(10**11, 10**12 - 1)}",
                "weight": f"{rng.randint(5, 200) / 100:.2f}",
                "quantity": rng.randint(0, 300),
            }
        )
    return products
