"""A bounded schemathesis run against the live test server on PostgreSQL: any finding fails the build.

`make fuzz` runs the same test longer (EKYAM_FUZZ_EXAMPLES, EKYAM_FUZZ_MAX_TIME); the default here keeps
`make test` to a couple of minutes. The seed is fixed, so a finding is reproducible with the same figures.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from connectors.registry import get_connector
from tests.api.fuzzing import SANDBOXED, run_schemathesis, seed_fuzz_organization
from tests.sandboxes import running

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture
def sandbox_urls():
    with ExitStack() as stack:
        yield {slug: stack.enter_context(running(get_connector(slug))).url for slug in SANDBOXED}


def test_no_finding_in_a_bounded_schemathesis_run(live_server, sandbox_urls, settings, tmp_path):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "user": "100000/min"},
    }
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
    assert result.operations > 0, result.output
    assert not result.findings and result.returncode == 0, "\n".join(result.findings) + "\n" + result.output
