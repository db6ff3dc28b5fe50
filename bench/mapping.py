"""`manage.py bench mapping [--records N] [--lines L]`: NetSuite item fulfillments -> Shipments.

Maps N generated NetSuite-shaped item fulfillments with a realistic mapping (about 25 rules, a
lines array, lookups, dates, money) through the engine, and in the same run through hand-written
Python doing the same work, then prints records per second for both and the ratio. Records are
streamed (a generator in, results dropped as they come), so memory stays flat; the peak RSS growth
is printed too.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connectors.mapping.engine import compile_mapping
from connectors.standards import is_valid

MAPPING_FILE = Path(__file__).parent / "data" / "bench_netsuite_shipments.read.json"
STATES = ["OR", "CA", "NY", "TX", "WA"]


def fulfillment(rng: random.Random, number: int, lines: int) -> dict:
    day = 1 + number % 28
    return {
        "id": str(9000 + number),
        "tranId": f"IF-{9000 + number}",
        "tranDate": f"2025-12-{day:02d}",
        "createdDate": f"2025-12-{day:02d}T15:09:00Z",
        "lastModifiedDate": f"2025-12-{day:02d}T16:20:00Z",
        "memo": rng.choice(["", "Gift wrap please", "Leave at the door"]),
        "shipStatus": {"id": rng.choice("ABC"), "refName": "Shipped"},
        "createdFrom": {"id": str(7000 + number), "refName": f"Sales Order #SO-{7000 + number}"},
        "entity": {"id": str(300 + number % 50), "refName": f"Customer {number % 50}"},
        "location": {"id": "1", "refName": "Main Warehouse"},
        "shipMethod": {"id": rng.choice(["1234", "1240"]), "refName": " UPS Ground "},
        "shipIsResidential": rng.choice([True, False]),
        "shippingAddress": {
            "addressee": f"Customer {number % 50}",
            "attention": "",
            "addr1": f"{number % 999} Oak Avenue",
            "addr2": "",
            "city": "Portland",
            "state": rng.choice(STATES).lower(),
            "zip": f"{97000 + number % 999}",
            "country": {"id": "US", "refName": "United States"},
            "addrPhone": "+1-503-555-0100",
        },
        "email": f" Customer{number % 50}@Example.com ",
        "item": {
            "items": [
                {
                    "line": line,
                    "itemName": f"SKU-{rng.randrange(1000)}",
                    "description": "Item",
                    "quantity": rng.randrange(1, 5),
                    "rate": round(rng.uniform(1, 99), 2),
                    "itemReceive": True,
                }
                for line in range(1, lines + 1)
            ]
        },
        "package": {"items": [{"packageTrackingNumber": f"1Z999AA1{number:010d}", "packageWeight": 1.2}]},
    }


def records(count: int, lines: int, seed: int = 42) -> Iterator[dict]:
    """A stream of `count` records cycling through a small pool (so generating them is not timed)."""
    rng = random.Random(seed)
    pool = [fulfillment(rng, number, lines) for number in range(min(count, 500))]
    for index in range(count):
        yield pool[index % len(pool)]


def _iso(text: str) -> str:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _money(value) -> dict:
    from connectors.mapping.transforms import money_amount

    return {"amount": money_amount(value), "currency": "USD"}


def hand_written(record: dict, lookups: dict) -> dict | None:
    """The same mapping written by hand, the way a developer would for one integration."""
    statuses, methods = lookups["netsuite_ship_status"], lookups["netsuite_ship_method"]
    address = record.get("shippingAddress") or {}
    out: dict = {"shipment_number": record["tranId"]}
    created_from = (record.get("createdFrom") or {}).get("refName")
    if created_from:
        out["order_number"] = [p.strip() for p in created_from.split("#") if p.strip()][-1]
    status = (record.get("shipStatus") or {}).get("id")
    if status is not None:
        if status not in statuses:
            return None
        out["status"] = statuses[status]
    if record.get("tranDate"):
        out["ship_date"] = datetime.fromisoformat(record["tranDate"]).date().isoformat()
    method = methods.get((record.get("shipMethod") or {}).get("id"))
    if method:
        out["carrier"] = method["carrier"]
    service = ((record.get("shipMethod") or {}).get("refName") or "").strip()
    if service:
        out["service_level"] = service
    tracking = [p["packageTrackingNumber"] for p in record["package"]["items"] if p.get("packageTrackingNumber")]
    if tracking:
        out["tracking_numbers"] = tracking
    ship_to = {"name": address.get("addressee") or record["entity"]["refName"]}
    for target, source in (
        ("company", "attention"),
        ("line1", "addr1"),
        ("line2", "addr2"),
        ("city", "city"),
        ("postal_code", "zip"),
        ("phone", "addrPhone"),
    ):
        if address.get(source):
            ship_to[target] = address[source]
    if address.get("state"):
        ship_to["region"] = address["state"].upper()
    ship_to["country"] = address["country"]["id"]
    if record.get("shipIsResidential") is not None:
        ship_to["residential"] = bool(record["shipIsResidential"])
    out["ship_to"] = ship_to
    customer = {"name": record["entity"]["refName"]}
    if record.get("email"):
        customer["email"] = record["email"].strip().lower()
    out["customer"] = customer
    if record.get("memo"):
        out["instructions"] = record["memo"]
    out["warehouse"] = record["location"]["refName"]
    out["source_ids"] = {"netsuite": record["id"]}
    out["created_at"] = _iso(record["createdDate"])
    out["updated_at"] = _iso(record["lastModifiedDate"])
    lines = []
    for item in record["item"]["items"]:
        if item.get("itemReceive") is not True:
            continue
        lines.append(
            {
                "line_number": int(item["line"]),
                "sku": item["itemName"].strip(),
                "quantity": int(item["quantity"]),
                "description": item["description"],
                "unit_price": _money(item["rate"]),
            }
        )
    out["lines"] = lines
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(argv: list[str], stdout=None) -> dict:
    parser = argparse.ArgumentParser(prog="manage.py bench mapping")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=3)
    options = parser.parse_args(argv)
    write = (stdout.write if stdout else print) if stdout else print

    spec = json.loads(MAPPING_FILE.read_text())
    compiled = compile_mapping(spec["rules"], standard="shipment", direction="read", lookups=spec["lookups"])
    rule_count = len(spec["rules"]) + sum(len(r.get("rules", [])) for r in spec["rules"])
    lookups = spec["lookups"]

    rss_before = _rss_mb()
    started = time.perf_counter()
    ok = failed = 0
    for result in compiled.apply_many(records(options.records, options.lines)):
        if result.errors:
            failed += 1
        else:
            ok += 1
    engine_seconds = time.perf_counter() - started
    rss_engine = _rss_mb() - rss_before

    started = time.perf_counter()
    hand_ok = 0
    for record in records(options.records, options.lines):
        out = hand_written(record, lookups)
        if out is not None and is_valid("shipment", out):
            hand_ok += 1
    hand_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for record in records(options.records, options.lines):
        hand_written(record, lookups)
    bare_seconds = time.perf_counter() - started

    n = options.records
    figures = {
        "records": n,
        "rules": rule_count,
        "engine_ok": ok,
        "engine_failed": failed,
        "hand_ok": hand_ok,
        "engine_rps": n / engine_seconds,
        "hand_rps": n / hand_seconds,
        "bare_rps": n / bare_seconds,
        "ratio": hand_seconds / engine_seconds,
        "ratio_unvalidated": bare_seconds / engine_seconds,
        "rss_growth_mb": rss_engine,
    }
    write(
        f"mapping benchmark: {n} NetSuite item fulfillments -> shipment, {rule_count} rules, {options.lines} lines each"
    )
    write(
        f"  engine (compiled, validated):          {figures['engine_rps']:>10,.0f} records/s  ({ok} ok, {failed} failed)"
    )
    write(f"  hand-written Python + same validation: {figures['hand_rps']:>10,.0f} records/s  ({hand_ok} ok)")
    write(f"  hand-written Python, no validation:    {figures['bare_rps']:>10,.0f} records/s")
    write(f"  ratio engine / hand-written:           {figures['ratio']:.2f}  (target >= 0.50)")
    write(f"  ratio engine / hand-written unchecked: {figures['ratio_unvalidated']:.2f}")
    write(f"  peak RSS growth while streaming:       {figures['rss_growth_mb']:.1f} MB")
    return figures
