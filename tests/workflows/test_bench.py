"""The workflow benchmark runs end to end on a small input and prints its figures (no timing assertions)."""

import re

import pytest

from tests.benchmarks import benchmark_output


@pytest.mark.django_db(transaction=True)
def test_workflow_benchmark_prints_figures(capsys):
    description, out = benchmark_output(capsys, "workflow", ["--shipments", "40", "--whiplash-rate", "0"])
    assert "Shipment Sync" in description
    assert re.search(r"baseline\s+shipments=\s+10 status=succeeded written=\s+10 .*shipments/s=[\d.]+", out), out
    assert re.search(r"measured\s+shipments=\s+40 status=succeeded written=\s+40 .*peak_worker_memory=[\d.]+MB "
                     r"requests/shipment=[\d.]+", out), out  # fmt: skip
    assert re.search(r"ratio\s+memory [\d.]+x for 4x the shipments; throughput [\d.]+x the baseline", out), out


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
def test_inventory_latency_benchmark_prints_median_p95_and_ratio(capsys):
    description, out = benchmark_output(capsys, "inventory_latency", ["--events", "4"])
    assert "webhook" in description
    assert re.search(r"baseline\s+events=\s+4 lost=0 median=[\d.]+ms p95=[\d.]+ms", out), out
    assert re.search(r"measured\s+events=\s+4 lost=0 median=[\d.]+ms p95=[\d.]+ms \(webhook → Kafka → worker\)", out), (
        out
    )
    assert re.search(r"ratio\s+median [\d.]+x, p95 [\d.]+x the direct sync", out), out


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
def test_sync_faults_benchmark_prints_each_bursts_whole_timeline(capsys):
    """The bursts part on a small input: every burst converges and its timeline is whole (the bench
    waits for the last burst's runs to finish before reading them; once it printed "last finished at
    nans" for a burst whose run was still recording its outcome)."""
    _description, out = benchmark_output(capsys, "sync_faults", ["--shipments", "0", "--bursts", "2"])
    assert re.search(r"bursts of 40: converged in median [\d.]+s, max [\d.]+s over 2 bursts", out), out
    lines = re.findall(
        r"burst \d: converged [\d.]+s; 40 webhooks stored by [\d.]+s; .* last finished at ([\d.]+)s", out
    )
    assert len(lines) == 2, out
    assert not re.search(r"\b(nan|inf)s?\b", out), out
