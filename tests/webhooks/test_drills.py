"""The fault drills command runs against the real processes and prints its table."""

from __future__ import annotations

import re

import pytest

from bench.webhook_drills import run

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_drills_print_sent_delivered_extra_lost_and_verified(kafka_broker, capsys):
    run(
        ["--events", "30", "--threads", "4"]
        + ["--drill", "fail-first", "--drill", "disable-recover", "--drill", "retry-after"]
    )
    out = capsys.readouterr().out
    assert "sent delivered  extra  lost    verified" in out, out
    # Every message failed its first 3 attempts and was delivered exactly once, every request signed.
    assert re.search(r"fail-first +30 +30 +0 +0 +120/120 +attempts recorded 120 \(expected 120\)", out), out
    # A 429 saying Retry-After: 2 is retried after about 2 s, not after the 60 s slow-down floor.
    match = re.search(r"retry-after +10 +10 +0 +0 +20/20 .*median (\d+\.\d) s", out)
    assert match and 1.5 <= float(match.group(1)) < 30, out
    # Disabled after 3 dead letters, 10 more events while disabled, recovered since the start: every
    # message delivered once, including those whose attempts were in flight at the recovery.
    assert re.search(r"disable-recover +40 +40 +0 +0 ", out), out
