"""The read benchmark runs end to end on a small input and prints its figures (no timing assertions)."""

import re

from tests.benchmarks import benchmark_output


def test_netsuite_read_benchmark_prints_figures(capsys):
    description, out = benchmark_output(capsys, "netsuite_read", ["--records", "120", "--page-size", "25"])
    assert "NetSuite" in description
    assert re.search(r"connector\s+120 records\s+[\d.]+ records/s\s+121 requests", out), out
    assert re.search(r"connector\s+30 records\s+peak memory\s+[\d.]+ MiB", out), out
    assert re.search(r"baseline\s+120 records\s+[\d.]+ records/s", out), out
    assert re.search(r"ratio connector/baseline: [\d.]+x", out), out
    assert re.search(r"memory growth from 30 to 120 records: x[\d.]+", out), out
