"""The benchmark command runs end to end on a small input and prints its figures."""

from __future__ import annotations

import re

import pytest

from bench.webhooks import run

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_bench_prints_throughput_latency_and_ratio(kafka_broker, capsys):
    run(["--events", "60", "--threads", "4", "--partitions", "2", "--rounds", "2"])
    captured = capsys.readouterr()
    out = captured.out
    assert re.search(r"pipeline .*: [\d,]+ deliveries/s \(median; rounds: [\d,]+, [\d,]+\)", out), out
    # Every event of every round was delivered and timed.
    assert re.search(r"p50 \d+ +p95 \d+ +p99 \d+ +\(n=120\)", out), out
    assert re.search(r"bare aiohttp client .*: [\d,]+ requests/s", out), out
    assert re.search(r"ratio pipeline / bare client: \d+\.\d\d \(median of the rounds' ratios: ", out), out
    assert len(re.findall(r"round \d: pipeline [\d,]+ deliveries/s", captured.err)) == 2, captured.err
