"""Every message the job system sends to the broker, sent by task name.

Sending by name (``send_task``) keeps this module free of ``jobs.tasks``, whose
adapters call the lifecycle: the lifecycle never imports its own adapters. The names
are the stable Celery task names that stored schedules and queued messages carry.
"""

from __future__ import annotations

import logging

from celery import current_app

from jobs.models import Run

logger = logging.getLogger(__name__)

EXECUTE_RUN = "jobs.execute_run"
FIRE_SCHEDULE = "jobs.fire_schedule"
ENFORCE_CANCEL = "jobs.enforce_cancel"
# Tasks of the webhooks app (jobs/webhooks/tasks.py).
WEBHOOKS_RUN = "jobs.webhooks_run"
WEBHOOK_DELIVER = "jobs.webhook_deliver"


def run_enqueue(*, run: Run, countdown: float | None = None) -> None:
    """Send the run's id to the broker on the run's queue (time limits from the job)."""
    options = {"task_id": run.task_id, "queue": run.queue}
    job = run.job
    if job.soft_time_limit:
        options["soft_time_limit"] = job.soft_time_limit
    if job.time_limit:
        options["time_limit"] = job.time_limit
    if countdown:
        options["countdown"] = countdown
    current_app.send_task(EXECUTE_RUN, (run.pk,), **options)
    logger.debug("run_enqueued run_id=%s queue=%s", run.pk, run.queue)


def cancel_check_send(*, run_id: int, countdown: float) -> None:
    """Ask a worker to check back on a ``cancelling`` run after ``countdown`` seconds."""
    current_app.send_task(ENFORCE_CANCEL, (run_id,), countdown=countdown)


def webhooks_run_send(*, run_id: int) -> None:
    """Ask a worker to call the webhooks of an ended run (one delivery per matching webhook)."""
    current_app.send_task(WEBHOOKS_RUN, (run_id,))


def webhook_retry_send(*, delivery_id: int, countdown: float) -> None:
    """Ask a worker to try a webhook delivery again after ``countdown`` seconds."""
    current_app.send_task(WEBHOOK_DELIVER, (delivery_id,), countdown=countdown)
