"""The Celery app. Workers: `celery -A ekyam worker`; schedules: `celery -A ekyam beat`.

Apps declare fixed periodic tasks in `<app>/schedules.py` as `BEAT_SCHEDULE = {name: {...}}`
(Celery's beat_schedule format); django-celery-beat's DatabaseScheduler stores them beside the
per-workflow schedules, which live only in the database.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekyam.settings")

app = Celery("ekyam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _collect_beat_schedules(sender, **kwargs):
    from ekyam.app_hooks import hook_modules

    for module in hook_modules("schedules"):
        sender.conf.beat_schedule.update(module.BEAT_SCHEDULE)
