"""An endpoint's recent delivery health: attempts per hour, succeeded and failed, with totals.

Counted in the database (one grouped query over the window's attempt rows), so the portal page and
`GET /api/v1/webhook-endpoints/{id}/health/` cost the same whatever the endpoint's volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from webhooks.models import DeliveryAttempt, Endpoint

MAX_HOURS = 24 * 7


@dataclass
class Hour:
    start: datetime
    succeeded: int = 0
    failed: int = 0

    @property
    def attempts(self) -> int:
        return self.succeeded + self.failed


@dataclass
class EndpointHealth:
    hours: list[Hour]
    succeeded: int
    failed: int
    average_duration_ms: int | None

    @property
    def attempts(self) -> int:
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        """Succeeded attempts / all attempts in the window, or None when there were none."""
        return self.succeeded / self.attempts if self.attempts else None

    @property
    def busiest_hour(self) -> int:
        return max((hour.attempts for hour in self.hours), default=0)


def endpoint_health(endpoint: Endpoint, *, hours: int = 24, now: datetime | None = None) -> EndpointHealth:
    """The last `hours` whole hours (UTC) up to and including the current one."""
    hours = max(1, min(hours, MAX_HOURS))
    now = now or timezone.now()
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=hours - 1)
    buckets = {first + timedelta(hours=i): Hour(first + timedelta(hours=i)) for i in range(hours)}
    rows = (
        DeliveryAttempt.objects.filter(
            organization_id=endpoint.organization_id, delivery__endpoint=endpoint, created_at__gte=first
        )
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour", "status")
        .annotate(count=Count("id"), duration=Avg("duration_ms"))
    )
    total_duration = 0.0
    for row in rows:
        bucket = buckets.get(row["hour"].astimezone(UTC))
        if bucket is None:
            continue  # stamped in the future (a skewed clock): outside the window
        if row["status"] == DeliveryAttempt.Status.SUCCEEDED:
            bucket.succeeded += row["count"]
        else:
            bucket.failed += row["count"]
        total_duration += (row["duration"] or 0) * row["count"]
    ordered = list(buckets.values())
    succeeded = sum(hour.succeeded for hour in ordered)
    failed = sum(hour.failed for hour in ordered)
    attempts = succeeded + failed
    return EndpointHealth(
        hours=ordered,
        succeeded=succeeded,
        failed=failed,
        average_duration_ms=round(total_duration / attempts) if attempts else None,
    )
