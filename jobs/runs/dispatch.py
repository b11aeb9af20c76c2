"""Every message the job system sends to the broker, sent by task name, and the run outbox.

Sending by name (``send_task``) keeps this module free of ``jobs.tasks``, whose
adapters call the lifecycle: the lifecycle never imports its own adapters. The names
are the stable Celery task names that stored schedules and queued messages carry.

A run's message goes out at most once: ``run_enqueue`` first claims the send by
setting ``sent_at`` with a compare-and-set, then publishes. When the broker is down the
claim is given back, the run stays ``queued`` with the message ``WAITING_FOR_BROKER``,
and ``jobs.runs.outbox`` (on a worker's start and every ``JOBS_OUTBOX_SECONDS`` in the
worker) sends it as soon as the broker answers again.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.utils import timezone
from kombu.exceptions import KombuError

from jobs.models import Run

logger = logging.getLogger(__name__)

EXECUTE_RUN = "jobs.execute_run"
FIRE_SCHEDULE = "jobs.fire_schedule"
ENFORCE_CANCEL = "jobs.enforce_cancel"
# Tasks of the webhooks app (jobs/webhooks/tasks.py).
WEBHOOKS_RUN = "jobs.webhooks_run"
WEBHOOK_DELIVER = "jobs.webhook_deliver"
WAITING_FOR_BROKER = "waiting for the broker"
# What a broker outage raises from a publish (kombu's OperationalError, a refused socket).
BROKER_ERRORS = (KombuError, OSError)


def run_enqueue(
    *, run: Run, countdown: float | None = None, resend: bool = False, claimed_at: dt.datetime | None = None
) -> bool:
    """Send the run's id to the broker on the run's queue (time limits from the job).

    Returns whether it was sent: False when another process already sent it, or when the
    broker is unreachable (the run then waits for ``outbox_drain``; ``run.message``
        says so). ``resend`` sends it whatever ``sent_at`` says: a message sent before but
    lost (the reaper), or a run stored with ``enqueue=False`` that its caller sends after all.
    ``claimed_at``: ``run_create`` stored the run with ``sent_at`` already set to this
    instant, so no other sender takes it and no compare-and-set round trip (one commit) is
    spent per run; a refused send clears it for the outbox like any other.
    """
    now = claimed_at or timezone.now()
    if claimed_at is None and not resend and not Run.objects.filter(pk=run.pk, sent_at__isnull=True).update(sent_at=now):
        return False
    try:
        _publish(run, countdown)
    except BROKER_ERRORS as exc:
        if not resend:
            Run.objects.filter(pk=run.pk, sent_at=now).update(sent_at=None)
        Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(message=WAITING_FOR_BROKER)
        run.message = WAITING_FOR_BROKER
        logger.warning("run_enqueue_failed run_id=%s error=%s", run.pk, exc)
        return False
    run.sent_at = now
    if run.message == WAITING_FOR_BROKER:
        Run.objects.filter(pk=run.pk, message=WAITING_FOR_BROKER).update(message="")
        run.message = ""
    logger.debug("run_enqueued run_id=%s queue=%s", run.pk, run.queue)
    return True


def _publish(run: Run, countdown: float | None):
    options = {"task_id": run.task_id, "queue": run.queue}
    job = run.job
    if job.soft_time_limit:
        options["soft_time_limit"] = job.soft_time_limit
    if job.time_limit:
        options["time_limit"] = job.time_limit
    if countdown:
        options["countdown"] = countdown
    current_app.send_task(EXECUTE_RUN, (run.pk,), **options)


def cancel_check_send(*, run_id: int, countdown: float) -> None:
    """Ask a worker to check back on a ``cancelling`` run after ``countdown`` seconds."""
    current_app.send_task(ENFORCE_CANCEL, (run_id,), countdown=countdown)


def webhooks_run_send(*, run_id: int) -> None:
    """Ask a worker to call the webhooks of an ended run (one delivery per matching webhook)."""
    current_app.send_task(WEBHOOKS_RUN, (run_id,))


def webhook_retry_send(*, delivery_id: int, countdown: float) -> None:
    """Ask a worker to try a webhook delivery again after ``countdown`` seconds."""
    current_app.send_task(WEBHOOK_DELIVER, (delivery_id,), countdown=countdown)
