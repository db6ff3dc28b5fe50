"""The benchmark command runs end to end on a small input and prints its figures."""

from __future__ import annotations

import re

import pytest

from webhooks.bench import run

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_bench_prints_throughput_latency_and_ratio(kafka_broker, capsys):
    run(["--events", "60", "--threads", "4", "--partitions", "2"])
    out = capsys.readouterr().out
    assert re.search(r"pipeline .*: [\d,]+ deliveries/s", out), out
    assert re.search(r"p50 \d+ +p95 \d+ +p99 \d+ +\(n=60\)", out), out
    assert re.search(r"bare aiohttp client .*: [\d,]+ requests/s", out), out
    assert re.search(r"ratio pipeline / bare client: \d+\.\d\d", out), out
