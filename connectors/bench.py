"""Benchmarks of the connectors app (`manage.py bench --list`)."""

from connectors.netsuite.bench import run as netsuite_read

BENCHMARKS = {
    "netsuite_read": (netsuite_read, "read N NetSuite item fulfillments from the sandbox vs a raw paged fetch"),
}
