"""The Celery application; tasks are found in the installed apps' ``tasks`` modules."""

import os

from celery import Celery

from jobsite.folders import broker_folders, folders_create

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

app = Celery("jobsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders_create(sender, **kwargs):
    """The filesystem broker (embedded defaults) needs its folders before the first message."""
    folders_create(broker_folders())
