"""The Celery app. Workers: `celery -A ekyam worker`; schedules: `celery -A ekyam beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekyam.settings")

app = Celery("ekyam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
