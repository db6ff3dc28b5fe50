"""The reconciliation and dry-run benchmarks run on a small input and print their figures (no timing asserts)."""

import re

import pytest

from tests.benchmarks import benchmark_output


@pytest.mark.django_db
def test_reconcile_benchmark_prints_records_per_second_and_reads_beside_the_limits(capsys):
    argv = ["--skus", "300", "--whiplash-rate", "50", "--restore-rate", "5000", "--bucket", "5000"]
    description, out = benchmark_output(capsys, "reconcile", argv)
    assert "--skus" in description
    assert re.search(r"baseline\s+bare reads: records=\d+ requests=\d+ time=[\d.]+s records/s=[\d.]+", out), out
    assert re.search(r"measured\s+status=succeeded source_records=300 destination_records=\d+ drifted_found=3/3 "
                     r"time=[\d.]+s records/s=[\d.]+ SKUs/s=[\d.]+", out), out  # fmt: skip
    assert re.search(r"reads\s+whiplash requests/SKU=[\d.]+ \(limit 50/s → floor \d+ SKUs/s\); shopify "
                     r"requests/SKU=[\d.]+, ≈[\d.]+ points/SKU \(restore 5000/s → floor \d+ SKUs/s\)", out), out  # fmt: skip
    assert re.search(r"limits\s+Shopify THROTTLED answers=\d+, Whiplash 429 answers=\d+", out), out
    assert re.search(r"ratio\s+[\d.]+x the bare reads' records/s", out), out


def _dry_run_planned_creates(capsys, shipments: int) -> str:
    """Run the dry-run benchmark over `shipments`; checks its figures (nothing written, the cursor unmoved,
    every planned create then written, nothing unplanned, each identical to the plan) and returns how many
    creates were planned."""
    _description, out = benchmark_output(capsys, "dry_run", ["--shipments", str(shipments), "--whiplash-rate", "0"])
    assert re.search(rf"measured\s+dry run: status=succeeded read={shipments} ", out), out
    match = re.search(r"checks\s+orders written by the dry run=0 cursor moved=no planned creates written=(\d+)/(\d+) "
                      r"written unplanned=0 identical to the plan=(\d+)/(\d+)", out)  # fmt: skip
    assert match and match.group(1) == match.group(2) == match.group(3) == match.group(4), out
    return match.group(1)


@pytest.mark.django_db
def test_dry_run_benchmark_checks_nothing_written_and_the_plan_matches(capsys):
    assert _dry_run_planned_creates(capsys, 40) != "0"


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.django_db
def test_a_dry_run_of_2000_shipments_writes_nothing_and_matches_the_real_run_record_for_record(capsys):
    """The issue's own scale: 2,000 shipments planned, 0 orders written, the cursor unmoved, then the real
    run writes exactly the planned creates with the planned content."""
    assert _dry_run_planned_creates(capsys, 2000) == "2000"
