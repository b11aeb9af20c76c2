"""The Celery application; tasks are found in the installed apps' ``tasks`` modules."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from jobsite.logformat import logs_json_install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

app = Celery("jobsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
def _json_logs(logger=None, **kwargs):
    """Under JOBSITE_LOG_FORMAT=json the worker's and beat's own handlers write JSON lines too."""
    logs_json_install(logger)


@after_setup_task_logger.connect
def _json_task_logs(logger=None, **kwargs):
    logs_json_install(logger)
