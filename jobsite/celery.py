"""The Celery application; tasks are found in the installed apps' ``tasks`` modules.

Database connections heal around every task: Celery's Django fix-up checks them only
every ``CELERY_DB_REUSE_MAX`` tasks, so after a PostgreSQL restart or failover a pool
process would keep failing on its dead connection. Before and after each task (not an
eager one, which runs inside its caller's transaction) Django closes connections that
are unusable or past ``CONN_MAX_AGE`` and re-arms ``CONN_HEALTH_CHECKS``, so the task's
first query pings and reconnects if the server went away while the worker was idle.
"""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun
from django.db import close_old_connections, connections

from jobsite.folders import broker_folders, folders_create
from jobsite.logformat import logs_json_install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

app = Celery("jobsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders_create(sender, **kwargs):
    """The filesystem broker (embedded defaults) needs its folders before the first message."""
    folders_create(broker_folders())


@task_prerun.connect
@task_postrun.connect
def connections_heal(sender=None, **kwargs):
    """Close dead or old connections and re-arm the health check around a worker's task."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return  # called in-process inside a transaction (tests, --foreground): leave it alone
    close_old_connections()


@after_setup_logger.connect
def _json_logs(logger=None, **kwargs):
    """Under JOBSITE_LOG_FORMAT=json the worker's and beat's own handlers write JSON lines too."""
    logs_json_install(logger)


@after_setup_task_logger.connect
def _json_task_logs(logger=None, **kwargs):
    logs_json_install(logger)
