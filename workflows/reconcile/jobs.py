"""What running a reconciliation report and a dry-run plan share: claiming the queued row once, counting
the read requests both ends made, and finishing visibly whatever happens (a duplicate task delivery does
nothing; a bug fails the job with its message instead of leaving it "running")."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from connectors.base import ConnectorError
from workflows.reconcile.flow import FlowError
from workflows.reconcile.models import Job, JobStatus

log = logging.getLogger(__name__)


def claim(model: type[Job], job_id: int, **starting) -> Job | None:
    """Mark the queued job running (with `starting` field values); None when it is running elsewhere,
    finished, or this is a duplicate delivery."""
    with transaction.atomic():
        job = model.objects.select_for_update(skip_locked=True).filter(pk=job_id, status=JobStatus.QUEUED).first()
        if job is None:
            return None
        job.status, job.started_at = JobStatus.RUNNING, timezone.now()
        job.heartbeat_at = job.started_at
        for name, value in starting.items():
            setattr(job, name, value)
        job.save(update_fields=["status", "started_at", "heartbeat_at", *starting])
        return job


def run(job: Job, body: Callable[[], None], finish: Callable[..., Job]) -> Job:
    """Run `body` and finish the job as succeeded, or as failed with what went wrong."""
    try:
        body()
    except (FlowError, ConnectorError) as exc:
        return finish(job.pk, JobStatus.FAILED, str(getattr(exc, "message", exc)))
    except Exception as exc:  # a bug must fail the job visibly, not leave it running
        log.exception("%s crashed", job)
        return finish(job.pk, JobStatus.FAILED, f"Internal error: {type(exc).__name__}: {exc}")
    return finish(job.pk, JobStatus.SUCCEEDED)


class RequestMeter:
    """The requests the connectors' clients made since the last look (`Connector.requests_made`)."""

    def __init__(self, *connectors):
        self.connectors = connectors
        self.seen = 0

    def spent(self) -> int:
        now = sum(c.requests_made() for c in self.connectors)
        spent, self.seen = now - self.seen, now
        return spent
