"""The reconciliation and dry-run benchmarks run on a small input and print their figures (no timing asserts)."""

import re

import pytest

from bench.registry import BENCHMARKS


@pytest.mark.django_db
def test_reconcile_benchmark_prints_records_per_second_and_reads_beside_the_limits(capsys):
    run, description = BENCHMARKS["reconcile"]
    assert "--skus" in description
    run(["--skus", "300", "--whiplash-rate", "50", "--restore-rate", "5000", "--bucket", "5000"])
    out = capsys.readouterr().out
    assert re.search(r"baseline\s+bare reads: records=\d+ requests=\d+ time=[\d.]+s records/s=[\d.]+", out), out
    assert re.search(r"measured\s+status=succeeded source_records=300 destination_records=\d+ drifted_found=3/3 "
                     r"time=[\d.]+s records/s=[\d.]+ SKUs/s=[\d.]+", out), out  # fmt: skip
    assert re.search(r"reads\s+whiplash requests/SKU=[\d.]+ \(limit 50/s → floor \d+ SKUs/s\); shopify "
                     r"requests/SKU=[\d.]+, ≈[\d.]+ points/SKU \(restore 5000/s → floor \d+ SKUs/s\)", out), out  # fmt: skip
    assert re.search(r"limits\s+Shopify THROTTLED answers=\d+, Whiplash 429 answers=\d+", out), out
    assert re.search(r"ratio\s+[\d.]+x the bare reads' records/s", out), out


@pytest.mark.django_db
def test_dry_run_benchmark_checks_nothing_written_and_the_plan_matches(capsys):
    run, _description = BENCHMARKS["dry_run"]
    run(["--shipments", "40", "--whiplash-rate", "0"])
    out = capsys.readouterr().out
    assert re.search(r"measured\s+dry run: status=succeeded read=40 ", out), out
    match = re.search(r"checks\s+orders written by the dry run=0 cursor moved=no planned creates written=(\d+)/(\d+) "
                      r"written unplanned=0 identical to the plan=(\d+)/(\d+)", out)  # fmt: skip
    assert match and match.group(1) == match.group(2) == match.group(3) == match.group(4) != "0", out


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.django_db
def test_a_dry_run_of_2000_shipments_writes_nothing_and_matches_the_real_run_record_for_record(capsys):
    """The issue's own scale: 2,000 shipments planned, 0 orders written, the cursor unmoved, then the real
    run writes exactly the planned creates with the planned content."""
    run, _description = BENCHMARKS["dry_run"]
    run(["--shipments", "2000", "--whiplash-rate", "0"])
    out = capsys.readouterr().out
    assert re.search(r"measured\s+dry run: status=succeeded read=2000 ", out), out
    match = re.search(r"checks\s+orders written by the dry run=0 cursor moved=no planned creates written=(\d+)/(\d+) "
                      r"written unplanned=0 identical to the plan=(\d+)/(\d+)", out)  # fmt: skip
    assert match and match.group(1) == match.group(2) == match.group(3) == match.group(4) == "2000", out
