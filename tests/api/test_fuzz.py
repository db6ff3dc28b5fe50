"""A bounded schemathesis run against the live test server on PostgreSQL: any finding fails the build.

`make fuzz` runs the same test longer (EKYAM_FUZZ_EXAMPLES, EKYAM_FUZZ_MAX_TIME); the default here keeps
`make test` to a couple of minutes. The seed is fixed, so a finding is reproducible with the same figures.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from connectors.registry import get_connector
from ekyam.api.throttling import PerKeyRateThrottle
from tests.api.fuzzing import SANDBOXED, run_schemathesis, seed_fuzz_organization
from tests.sandboxes import running

pytestmark = pytest.mark.timeout(3600)
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def sandbox_urls():
    with ExitStack() as stack:
        yield {slug: stack.enter_context(running(get_connector(slug))).url for slug in SANDBOXED}


def _operation_count() -> int:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sum(1 for operations in schema["paths"].values() for method in operations if method in HTTP_METHODS)


def test_no_finding_in_a_bounded_schemathesis_run(live_server, sandbox_urls, monkeypatch, tmp_path):
    # The rate limit is tested on its own (tests/foundation); here it would only slow the run down.
    # (DRF reads the rates into the class when it is defined, so the settings fixture cannot change them.)
    monkeypatch.setattr(PerKeyRateThrottle, "THROTTLE_RATES", {"api_key": "100000/min", "user": "100000/min"})
    _organization, key = seed_fuzz_organization(sandbox_urls)
    result = run_schemathesis(
        live_server.url,
        key,
        examples=int(os.environ.get("EKYAM_FUZZ_EXAMPLES", "3")),
        max_time=int(os.environ.get("EKYAM_FUZZ_MAX_TIME", "0")),
        seed=int(os.environ.get("EKYAM_FUZZ_SEED", "20261203")),
        report_dir=Path(os.environ.get("EKYAM_FUZZ_REPORT_DIR") or tmp_path).resolve(),
        phases=os.environ.get("EKYAM_FUZZ_PHASES", "examples,fuzzing"),
        workers=int(os.environ.get("EKYAM_FUZZ_WORKERS", "1")),
    )
    print(f"schemathesis: {result.operations} operations, {result.requests} requests, {len(result.findings)} findings")
    assert result.operations == _operation_count(), result.output  # every operation was exercised
    assert not result.findings and result.returncode == 0, "\n".join(result.findings) + "\n" + result.output
