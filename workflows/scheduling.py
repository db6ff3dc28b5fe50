"""A workflow's schedule lives as one django-celery-beat PeriodicTask, kept in step with the workflow."""

from __future__ import annotations

import json
import zoneinfo

from django.core.exceptions import ValidationError
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.validators import crontab_validator

from workflows.models import ScheduleKind, Workflow

SCHEDULED_TASK = "workflows.scheduled_run"


def task_name(workflow: Workflow) -> str:
    return f"workflow:{workflow.pk}"


# One year: longer intervals are surely a mistake, and the column (and Beat's) are 32-bit integers.
MAX_INTERVAL_SECONDS = 366 * 24 * 3600
CRON_MAX_LENGTH = Workflow._meta.get_field("cron").max_length


def validate_cron(cron: str) -> None:
    """django-celery-beat's own validator (the one its admin uses): every field in range, no step of 0,
    known names; Beat silently skips a crontab it cannot read, so a bad one must never be saved."""
    parts = (cron or "").split()
    if len(parts) != 5:
        raise ValidationError(
            {"cron": f"A cron expression has 5 fields (minute hour day month weekday); got {cron!r}."}
        )
    if len(cron) > CRON_MAX_LENGTH:
        raise ValidationError({"cron": f"A cron expression has at most {CRON_MAX_LENGTH} characters."})
    try:
        crontab_validator(" ".join(parts))
    except ValidationError as exc:
        raise ValidationError({"cron": f"Not a valid cron expression ({'; '.join(exc.messages)})."}) from None


def validate_schedule(kind: str, interval_seconds: int | None, cron: str, tz: str) -> None:
    if kind == ScheduleKind.INTERVAL and not (interval_seconds and interval_seconds >= 10):
        raise ValidationError({"interval_seconds": "An interval schedule needs interval_seconds of at least 10."})
    if interval_seconds is not None and interval_seconds > MAX_INTERVAL_SECONDS:
        raise ValidationError({"interval_seconds": f"At most {MAX_INTERVAL_SECONDS} seconds (one year)."})
    if kind == ScheduleKind.CRON:
        validate_cron(cron)
    try:
        zoneinfo.ZoneInfo(tz or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": f"Unknown time zone {tz!r}."}) from None


def sync_periodic_task(workflow: Workflow) -> PeriodicTask | None:
    """Create, update, pause or delete the workflow's PeriodicTask. Call inside the workflow's transaction."""
    task = workflow.periodic_task
    if workflow.schedule_kind == ScheduleKind.NONE:
        if task is not None:
            workflow.periodic_task = None
            workflow.save(update_fields=["periodic_task", "updated_at"])
            task.delete()
        return None
    schedule_fields: dict = {"interval": None, "crontab": None}
    if workflow.schedule_kind == ScheduleKind.INTERVAL:
        schedule_fields["interval"], _ = IntervalSchedule.objects.get_or_create(
            every=workflow.interval_seconds, period=IntervalSchedule.SECONDS
        )
    else:
        minute, hour, day_of_month, month_of_year, day_of_week = workflow.cron.split()
        schedule_fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone=zoneinfo.ZoneInfo(workflow.timezone or "UTC"),
        )
    values = {
        "task": SCHEDULED_TASK,
        "args": json.dumps([workflow.pk]),
        "enabled": workflow.enabled,
        "description": f"Scheduled sync of workflow {workflow.name!r} (organization {workflow.organization_id}).",
        **schedule_fields,
    }
    if task is None:
        task, _ = PeriodicTask.objects.update_or_create(name=task_name(workflow), defaults=values)
        workflow.periodic_task = task
        workflow.save(update_fields=["periodic_task", "updated_at"])
    else:
        for field, value in values.items():
            setattr(task, field, value)
        task.save()
    return task


def delete_periodic_task(workflow: Workflow) -> None:
    PeriodicTask.objects.filter(name=task_name(workflow)).delete()
