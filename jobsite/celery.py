"""The Celery application; tasks are found in the installed apps' ``tasks`` modules."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

app = Celery("jobsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
