"""A registered benchmark run inside a test, for the tests that check what it prints."""

from __future__ import annotations

from bench.registry import BENCHMARKS


def benchmark_output(capsys, name: str, argv: list[str]) -> tuple[str, str]:
    """Run the benchmark registered as `name` with `argv`; its description and what it printed."""
    run, description = BENCHMARKS[name]
    run(argv)
    return description, capsys.readouterr().out
