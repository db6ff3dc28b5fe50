"""A schemathesis run against the running portal: the fixtures a fuzz run needs and the run itself.

The run drives the `schemathesis` command line against a live server (its own process talks HTTP only),
with a fixed seed, a bounded number of examples per operation and a time budget, and the four checks the
API promises: no server error, documented status codes, documented content types, and bodies that match
the schema. `run_schemathesis` returns the counts from the run's JSON-lines report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from connectors.models import Connection
from connectors.registry import get_connector
from ekyam import actions
from ekyam.models import Role

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SANDBOXED = ("netsuite", "whiplash", "shopify")


@dataclass
class FuzzResult:
    returncode: int
    operations: int = 0
    requests: int = 0
    findings: list[str] = field(default_factory=list)
    output: str = ""


def seed_fuzz_organization(sandbox_urls: dict[str, str]):
    """An organization with something behind every kind of id: sandbox connections, the demo flows (their
    mappings and schedules), a lookup table and a webhook endpoint. Returns (organization, raw API key)."""
    from connectors.mapping.actions import save_lookup_table
    from workflows import seed as workflow_seed

    organization = actions.create_organization("Fuzz Foods")
    for slug in SANDBOXED:
        connector = get_connector(slug)
        connection = Connection(organization=organization, connector_type=slug, name=f"{connector.name} sandbox")
        connection.set_credentials(connector.sandbox_credentials(sandbox_urls[slug]))
        connection.save()
    workflow_seed.seed_demo(organization)
    save_lookup_table(organization, name="carriers", values={"UPS": "ups", "FedEx": "fedex"})
    _key, raw = actions.create_api_key(organization, "fuzz", Role.OWNER)
    return organization, raw


def _schemathesis_bin() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    return str(beside) if beside.exists() else (shutil.which("schemathesis") or "schemathesis")


def run_schemathesis(
    base_url: str,
    api_key: str,
    *,
    examples: int,
    seed: int,
    report_dir: Path,
    phases: str = "examples,fuzzing",
    max_time: int = 0,
    workers: int = 1,
) -> FuzzResult:
    """One run: `examples` cases per operation and phase; with `max_time` (seconds), fuzzing goes on
    until that budget is spent (the longer `make fuzz` run)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    report = report_dir / "events.ndjson"
    command = [
        _schemathesis_bin(), "run", f"{base_url}/api/schema/",
        "--url", base_url,
        "--checks", CHECKS,
        "--max-examples", str(examples),
        "--seed", str(seed),
        "--workers", str(workers),
        "--phases", phases,
        "--header", f"Authorization: Bearer {api_key}",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--no-shrink",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        "--output-truncate", "true",
    ]  # fmt: skip
    if max_time:
        command += ["--max-time", str(max_time)]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=report_dir)
    result = FuzzResult(returncode=done.returncode, output=done.stdout[-20000:] + done.stderr[-5000:])
    _read_report(report, result)
    return result


def _read_report(report: Path, result: FuzzResult) -> None:
    """Counts operations, requests and distinct findings (operation, check, what was wrong) from the
    run's events; each case a check failed on is kept once per distinct finding."""
    if not report.exists():
        return
    operations, seen = set(), {}
    for line in report.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        body = event.get("ScenarioFinished") if isinstance(event, dict) else None
        if not isinstance(body, dict):
            continue
        recorder = body.get("recorder") or {}
        label = recorder.get("label", "?")
        operations.add(label)
        interactions = recorder.get("interactions") or {}
        result.requests += len(interactions)
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                message = str(failure.get("message", "")).splitlines()
                key = f"{label} · {check.get('name')} · {failure.get('title', '')}: {message[0] if message else ''}"
                if key not in seen:
                    seen[key] = _describe_case(recorder, case_id, interactions.get(case_id))
    result.operations = len(operations)
    result.findings = [f"{key}\n    {example}" for key, example in seen.items()]


def _describe_case(recorder: dict, case_id: str, interaction: dict | None) -> str:
    case = ((recorder.get("cases") or {}).get(case_id) or {}).get("value") or {}
    request = (interaction or {}).get("request") or {}
    response = (interaction or {}).get("response") or {}
    body = case.get("body")
    text = json.dumps(body)[:300] if body is not None else ""
    content = (response.get("content") or {}).get("$base64")
    answer = ""
    if content:
        import base64

        answer = base64.b64decode(content)[:300].decode("utf-8", "replace")
    return f"{request.get('method', '')} {request.get('uri', '')} {text} → {response.get('status_code')} {answer}"
