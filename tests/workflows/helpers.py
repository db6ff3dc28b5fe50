"""Playing the worker in the engine's tests: a run's task, run again whenever the engine hands a batch back."""

from __future__ import annotations

from django.utils import timezone

from workflows import engine
from workflows.models import Run, RunStatus


def waiting(run: Run) -> bool:
    """Handed back: still running, no worker holds it, its task is queued to start at `retry_at`."""
    return run.status == RunStatus.RUNNING and not run.lease and run.retry_at is not None


def run_to_end(run_id: int, *, limit: int = 50) -> Run:
    """Run the task; each time the engine hands a batch back, run it again as its Celery countdown would,
    with `retry_at` moved to now instead of waiting the backoff out. Returns the run as it ended."""
    for _ in range(limit):
        engine.execute_run(run_id)
        run = Run.objects.get(pk=run_id)
        if not waiting(run):
            return run
        Run.objects.filter(pk=run_id).update(retry_at=timezone.now())
    raise AssertionError(f"run {run_id} was still handed back after {limit} tasks")
