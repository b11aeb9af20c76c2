"""Reap lost runs: bring every run whose worker, message or cancel was lost to an end.

Called by the built-in "Reap lost runs" job (``jobs.builtin``), scheduled every minute by a migration.

- A ``running`` run whose heartbeat is older than ``JOBS_LOST_RUN_SECONDS`` lost its
  worker: it ends ``failed`` ("worker lost", or "timed out" past its hard limit).
- A ``cancelling`` run past the cancel grace whose task is gone ends ``cancelled``.
- A ``queued`` run whose message never reached a worker (older than
  ``JOBS_REENQUEUE_AFTER_SECONDS``) is sent again, once (``reenqueued_at``); the
  compare-and-set claim makes a late original message harmless.
- A run held behind an active run that has ended is released.
- A run still running past its job's slow threshold sends the slow alert (once).
- A parent waiting for subtasks that have all ended is ended (its last child's end was lost).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from jobs import conf
from jobs.models import Run
from jobs.runs.cancel import cancel_enforce, cancel_grace_seconds
from jobs.runs.dispatch import run_enqueue
from jobs.runs.ending import parent_try_end, run_end
from jobs.runs.followups import held_run_release
from jobs.runs.notifications import slow_runs_notify

logger = logging.getLogger(__name__)
Status = Run.Status


def runs_reap(*, now: dt.datetime | None = None) -> dict:
    """Bring every lost run to an end (or back to a worker); return counts per action."""

    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=conf.get("JOBS_LOST_RUN_SECONDS"))
    counts = {"lost": 0, "parents_ended": 0, "cancelled": 0, "reenqueued": 0, "released": 0, "slow_alerts": 0}

    dead = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    # A parent waiting for its subtasks holds no worker: no heartbeat is owed.
    for run in Run.objects.filter(dead, status=Status.RUNNING, awaiting_children=False).select_related("job"):
        limit = run.job.time_limit
        if limit and run.started_at and (now - run.started_at).total_seconds() >= limit:
            message = f"timed out after {limit} s (hard time limit)"
        else:
            message = f"worker lost: no heartbeat since {run.heartbeat_at or run.started_at:%Y-%m-%d %H:%M:%S %Z}"
        if run_end(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.FAILED, job=run.job, message=message):
            logger.warning("run_lost run_id=%s job_id=%s", run.pk, run.job_id)
            counts["lost"] += 1

    # A waiting parent whose children have all ended (a lost end of its last child) ends now.
    for parent_id in Run.objects.filter(awaiting_children=True, status__in=Run.ACTIVE_STATUSES).values_list("pk", flat=True):
        if parent_try_end(parent_id=parent_id):
            counts["parents_ended"] += 1

    grace_over = now - dt.timedelta(seconds=cancel_grace_seconds())
    overdue = Q(cancel_requested_at__lt=grace_over) | Q(cancel_requested_at__isnull=True) | dead
    for run in Run.objects.filter(overdue, status=Status.CANCELLING):
        if cancel_enforce(run_id=run.pk):
            counts["cancelled"] += 1

    requeue_before = now - dt.timedelta(seconds=conf.get("JOBS_REENQUEUE_AFTER_SECONDS"))
    # Only messages that went out and were lost: an unsent run is the outbox's (jobs.runs.dispatch).
    waiting = Run.objects.filter(
        status=Status.QUEUED, held=False, reenqueued_at__isnull=True, sent_at__isnull=False, created_at__lt=requeue_before
    )
    waiting = waiting.filter(Q(not_before__isnull=True) | Q(not_before__lt=requeue_before)).select_related("job")
    for run in waiting:
        if Run.objects.filter(pk=run.pk, status=Status.QUEUED, reenqueued_at__isnull=True).update(reenqueued_at=now):
            run_enqueue(run=run, resend=True)
            logger.warning("run_reenqueued run_id=%s job_id=%s", run.pk, run.job_id)
            counts["reenqueued"] += 1

    for job_id in set(Run.objects.filter(status=Status.QUEUED, held=True).values_list("job_id", flat=True)):
        if held_run_release(job_id=job_id) is not None:
            counts["released"] += 1

    counts["slow_alerts"] = slow_runs_notify()
    if any(counts.values()):
        logger.info("runs_reaped %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
