"""Every ``JOBS_*`` setting of the job system with its default (override in Django settings).

Read a value with ``conf.get("JOBS_LOST_RUN_SECONDS")``: Django's settings win, then the
default here, so a site that sets nothing still works and tests can override any value
with pytest-django's ``settings`` fixture.
"""

from django.conf import settings

DEFAULTS = {
    # Entry-point group that job types are registered under, and extra types as id=module:Class.
    "JOBS_ENTRY_POINT_GROUP": "jobsite.jobs",
    "JOBS_EXTRA_TYPES": {},
    # Queue of jobs that name none (the site sets Celery's default queue).
    "JOBS_DEFAULT_QUEUE": "celery",
    # Run logs: the lowest level stored, on/off, rows per batch, seconds between flushes,
    # and whether a run that logs more than one batch hands them to a writer process.
    "JOBS_RUN_LOG_LEVEL": "INFO",
    "JOBS_RUN_LOG_ENABLED": True,
    "JOBS_RUN_LOG_BATCH_SIZE": 5000,
    "JOBS_RUN_LOG_FLUSH_SECONDS": 0.5,
    "JOBS_RUN_LOG_PROCESS": True,
    # Liveness and progress: heartbeat interval, progress write interval, errored entries kept.
    "JOBS_HEARTBEAT_SECONDS": 5.0,
    "JOBS_PROGRESS_FLUSH_SECONDS": 1.0,
    "JOBS_MAX_ERRORED_ENTRIES": 1000,
    # Run control: grace before a cancelled task is killed, heartbeat age of a lost run,
    # age of a queued run whose message is sent once more.
    "JOBS_CANCEL_GRACE_SECONDS": 30.0,
    "JOBS_LOST_RUN_SECONDS": 60.0,
    "JOBS_REENQUEUE_AFTER_SECONDS": 600.0,
    # How long a run whose database connection was lost waits for it to answer, to record its end.
    "JOBS_DATABASE_WAIT_SECONDS": 120.0,
    # Seconds between a worker's looks for runs that waited for the broker (jobs.runs.outbox).
    "JOBS_OUTBOX_SECONDS": 2.0,
    # Limits on a run's arguments, the same for admin, CLI and API (jobs.arguments).
    "JOBS_ARGUMENTS_MAX_BYTES": 65536,
    "JOBS_ARGUMENTS_MAX_DEPTH": 16,
    # Templates included on the run page (other apps' panels, e.g. exports' download link).
    "JOBS_RUN_PAGE_PANELS": [],
    # Monitoring. /metrics: a bearer token and/or IP networks allowed to scrape (off, 404,
    # when both are empty), and other apps' collectors (dotted paths of prometheus_client collectors).
    "JOBS_METRICS_TOKEN": "",
    "JOBS_METRICS_ALLOW": [],
    "JOBS_METRICS_COLLECTORS": [],
    # Runs created longer ago than this are folded into the totals stored in the database once
    # ended (jobs/metrics/fold.py); a scrape moves the fold on at most this often.
    "JOBS_METRICS_FOLD_SECONDS": 60.0,
    # Webhooks: attempts per delivery, first retry delay (doubled each time), request timeout,
    # whether URLs may point at loopback/private/link-local addresses, how long a process
    # trusts its map of the jobs that have webhooks, deliveries kept per webhook.
    "JOBS_WEBHOOK_MAX_ATTEMPTS": 5,
    "JOBS_WEBHOOK_BACKOFF_SECONDS": 10.0,
    "JOBS_WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "JOBS_WEBHOOK_ALLOW_PRIVATE": False,
    "JOBS_WEBHOOK_CACHE_SECONDS": 5.0,
    "JOBS_WEBHOOK_KEEP_DELIVERIES": 100,
}


def get(name: str):
    """The setting ``name``: Django's value when set, else the default above."""
    return getattr(settings, name, DEFAULTS[name])
