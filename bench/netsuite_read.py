"""`manage.py bench netsuite_read --records 20000`: read item fulfillments from a NetSuite sandbox.

Starts the sandbox as a child process (`manage.py sandbox netsuite`), so the emulator's CPU and memory
are not counted as the reader's. Prints, for the connector: records per second, HTTP requests made, and
the peak memory it allocated (tracemalloc) at two sizes — equal peaks mean it streams. For a baseline it
does, in the same run, a raw paged fetch of the same records (SuiteQL listing by offset, then one GET per
record, one at a time, records dropped as they arrive: no cursor, no overlap bookkeeping, no threads),
and prints the connector/baseline ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from connectors.limits import ConcurrencyLimiter
from connectors.netsuite.client import NetSuiteClient
from connectors.netsuite.connector import NetSuiteConnector
from connectors.netsuite.reader import RECORD_PATH
from ekyam import embedded

MIB = 1024 * 1024


@contextmanager
def sandbox_process(records: int, seed: int = 42):
    port = embedded.free_port()
    manage = Path(settings.BASE_DIR) / "manage.py"
    command = [sys.executable, str(manage), "sandbox", "netsuite", "--port", str(port), "--records", str(records)]
    command += ["--seed", str(seed)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        try:
            embedded.wait_for_port("127.0.0.1", port, timeout=60, process=process)
        except (RuntimeError, TimeoutError):
            process.kill()
            raise RuntimeError(f"the NetSuite sandbox did not start: {process.stderr.read().decode()[-500:]}") from None
        yield f"http://127.0.0.1:{port}"
    finally:
        embedded.stop_process(process)


def _timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def _peak_memory(function) -> int:
    """Peak bytes allocated while `function` runs (tracemalloc slows it down, so timing is separate)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def read_with_connector(url: str, concurrency: int, page_size: int) -> tuple[int, int]:
    limiter = ConcurrencyLimiter(f"bench-netsuite-{os.getpid()}-{time.time()}", concurrency)
    connector = NetSuiteConnector(NetSuiteConnector.sandbox_credentials(url), concurrency_limiter=limiter)
    records = requests = 0
    for page in connector.read("shipments", page_size=page_size):
        records += len(page.records)  # records are dropped here, as a sync engine hands them on
        requests += page.requests
    return records, requests


def read_baseline(url: str) -> tuple[int, int]:
    client = NetSuiteClient(NetSuiteConnector.sandbox_credentials(url))
    records, offset = 0, 0
    query = "SELECT id FROM transaction WHERE type = 'ItemShip' ORDER BY id"
    while True:
        page = client.suiteql(query, limit=1000, offset=offset)
        for row in page["items"]:
            client.get(f"{RECORD_PATH}/itemFulfillment/{row['id']}", {"expandSubResources": "true"})
            records += 1
        offset += len(page["items"])
        if not page.get("hasMore") or not page["items"]:
            return records, client.request_count


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="manage.py bench netsuite_read")
    parser.add_argument("--records", type=int, default=20_000, help="item fulfillments to read (default 20000)")
    parser.add_argument("--concurrency", type=int, default=5, help="the connection's concurrency limit")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--baseline-memory", action="store_true", help="also trace the baseline's memory (slow)")
    args = parser.parse_args(argv)
    small = max(1, args.records // 4)
    print(f"netsuite_read: item fulfillments from a sandbox child process, concurrency {args.concurrency}")
    print("  (records/s from untraced runs; peak memory from separate runs under tracemalloc)")

    count_small = small
    with sandbox_process(small) as url:
        read_with_connector(url, args.concurrency, args.page_size)  # warm-up: one-time imports and caches
        peak_small = _peak_memory(lambda: read_with_connector(url, args.concurrency, args.page_size))
    with sandbox_process(args.records) as url:
        (count, requests), elapsed = _timed(lambda: read_with_connector(url, args.concurrency, args.page_size))
        (base_count, base_requests), base_elapsed = _timed(lambda: read_baseline(url))
        peak = _peak_memory(lambda: read_with_connector(url, args.concurrency, args.page_size))
        base_peak = _peak_memory(lambda: read_baseline(url)) if args.baseline_memory else None

    rate, base_rate = count / elapsed, base_count / base_elapsed
    print(
        f"  connector  {count:>7} records  {rate:9.1f} records/s  {requests:>7} requests "
        f"({requests / max(count, 1):.3f}/record)  {elapsed:7.2f} s  peak memory {peak / MIB:6.2f} MiB"
    )
    print(f"  connector  {count_small:>7} records  peak memory {peak_small / MIB:6.2f} MiB (a quarter of the data)")
    print(
        f"  memory growth from {count_small} to {count} records: x{peak / max(peak_small, 1):.2f} "
        f"(x1.00 = flat: the reader streams; x{count / max(count_small, 1):.0f} would mean it holds everything)"
    )
    print(
        f"  baseline   {base_count:>7} records  {base_rate:9.1f} records/s  {base_requests:>7} requests  "
        f"{base_elapsed:7.2f} s"
        + (f"  peak memory {base_peak / MIB:6.2f} MiB" if base_peak is not None else "")
        + "  (raw sequential paged fetch)"
    )
    print(f"  ratio connector/baseline: {rate / base_rate:.2f}x records/s")
