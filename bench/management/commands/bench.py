"""`manage.py bench <name> [options]`: the project's benchmarks, each printing figures and a ratio
against a baseline measured in the same run. They are listed in `bench/registry.py` as
`BENCHMARKS = {"name": (function(argv) -> None, "one-line description")}`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bench.registry import BENCHMARKS


def _benchmarks() -> dict:
    return BENCHMARKS


class Command(BaseCommand):
    help = "Run a benchmark: `manage.py bench --list` shows them."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?")
        parser.add_argument("options", nargs="*", help="Options passed to the benchmark, e.g. --events 1000")
        parser.add_argument("--list", action="store_true")

    def run_from_argv(self, argv):
        # Everything after the benchmark name belongs to the benchmark, flags included.
        if len(argv) > 2 and not argv[2].startswith("-"):
            self._argv = argv[3:]
            argv = argv[:3]
        else:
            self._argv = []
        super().run_from_argv(argv)

    def handle(self, *args, name=None, list=False, **options):
        benchmarks = _benchmarks()
        if list or not name:
            for key, (_fn, description) in sorted(benchmarks.items()):
                self.stdout.write(f"{key:20} {description}")
            return
        if name not in benchmarks:
            raise CommandError(f"Unknown benchmark {name!r}; known: {', '.join(sorted(benchmarks))}.")
        benchmarks[name][0](getattr(self, "_argv", []))
