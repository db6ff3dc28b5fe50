"""The engine under real Celery workers on the Redis broker: Beat schedules fire, a killed worker's run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from bench.common import database_url, wait_for
from ekyam.celery import app
from workflows import actions, conf
from workflows.models import Lineage, Run, RunStatus

pytestmark = pytest.mark.slow

WORKER_BOOT = (
    "import django; django.setup();"
    "import tests.workflows.fakes as fakes; fakes.install_fake_mappings();"
    "from ekyam.celery import app;"
    "app.worker_main(['worker', '--pool', 'solo', '--concurrency', '1', '--without-gossip', '--without-mingle',"
    " '--without-heartbeat', '--loglevel', 'WARNING'])"
)


def finished(run_id):
    run = Run.objects.get(pk=run_id)
    return run if run.is_finished else None


@pytest.fixture
def worker(transactional_db):
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as running:
        yield running


def test_beat_schedule_fires_and_the_worker_runs_the_workflow(worker, workflow, destination_sandbox):
    task = PeriodicTask.objects.get(name=f"workflow:{workflow.pk}")
    assert (task.task, json.loads(task.args), task.enabled) == ("workflows.scheduled_run", [workflow.pk], True)
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now() - timedelta(hours=1))

    scheduler = DatabaseScheduler(app=app, lazy=False)
    scheduler.tick()  # one real Beat tick: the due schedule is sent through the broker

    run = wait_for(lambda: Run.objects.filter(workflow=workflow).first())
    run = wait_for(lambda: finished(run.pk))
    assert (run.trigger, run.status, run.written_count) == ("schedule", RunStatus.SUCCEEDED, 25)
    assert len(destination_sandbox.app.written) == 25

    # a re-run through the worker writes nothing new
    again = actions.request_run(workflow, "backfill", {"since": "2000-01-01"})
    again = wait_for(lambda: finished(again.pk))
    assert (again.written_count, again.skipped_count) == (0, 25)
    assert set(destination_sandbox.app.creates.values()) == {1}


def _subprocess_worker():
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EKYAM_WORKFLOW_RETRY_BACKOFF": "0.01",
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_BOOT], env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def test_a_worker_killed_mid_run_resumes_without_loss_or_duplicates(transactional_db, workflow, destination_sandbox):
    app.control.purge()
    destination_sandbox.app.knobs.latency_ms = 400  # slow writes, so the kill lands mid-run
    victim = _subprocess_worker()
    try:
        run = actions.run_now(workflow)
        wait_for(lambda: Run.objects.get(pk=run.pk).batches >= 1, timeout=90)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.batches < 3
    destination_sandbox.app.knobs.latency_ms = 0

    # The worker is gone: its last heartbeat is older than the stale limit (backdated, not waited for).
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=conf.STALE_AFTER_SECONDS + 1))
    assert actions.requeue_stale_runs() == [run.pk]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run = wait_for(lambda: finished(run.pk), timeout=90)

    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert len(destination_sandbox.app.written) == 25
    assert set(destination_sandbox.app.creates.values()) == {1}  # nothing created twice
    assert Lineage.objects.filter(workflow=workflow).count() == 25
