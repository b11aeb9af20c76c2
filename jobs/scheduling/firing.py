"""A schedule tick becomes a run: exactly once per (job, due time), under the job's policies.

``tick_fire`` runs in the worker for every ``jobs.fire_schedule`` message. It locks the
job's row, so ticks of one job are decided one at a time, and:

1. ignores a tick that already has a run (second beat process, restart, redelivery);
2. records a tick later than ``missed_grace_seconds`` as ``skipped`` ("missed") and
   never replays it; ticks between the job's previous tick and this one that never
   came (scheduler down) are recorded as missed too;
3. applies the overlap policy when a run of the job is still active: skip (record a
   ``skipped`` run), queue (a held run, sent when the active one ends; at most one
   waits), allow, or replace (cancel the active run, start the new one).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Job, Run
from jobs.runs.cancel import run_cancel
from jobs.runs.ending import run_end
from jobs.runs.services import run_create, run_unstarted_create
from jobs.scheduling import ticks
from jobs.scheduling.store import job_spec

logger = logging.getLogger(__name__)
Status = Run.Status
Policy = Job.OverlapPolicy
MISSED_AFTER = dt.timedelta(seconds=30)
MISSED_RECORD_LIMIT = 100  # per tick fired; older gaps stay unrecorded


def due_at_derive(*, job: Job, now: dt.datetime) -> dt.datetime:
    """The tick a message without ``due_at`` belongs to: the schedule's latest tick, else now to the second."""
    spec = job_spec(job)
    due = spec.latest_at_or_before(now) if spec is not None else None
    return due or now.replace(microsecond=0)


def tick_fire(*, job_id: int, due_at: dt.datetime | None = None, now: dt.datetime | None = None) -> Run | None:
    """Create the run (or the skipped record) for one tick; None when the tick is not owed one."""
    now = now or timezone.now()
    with transaction.atomic():
        job = next(iter(Job.objects.select_for_update().filter(pk=job_id).order_by()[:1]), None)
        if job is None:
            logger.warning("tick_ignored job_id=%s reason=no_such_job", job_id)
            return None
        if not job.active:
            logger.info("tick_ignored job_id=%s reason=paused", job_id)
            return None
        if due_at is None:
            due_at = due_at_derive(job=job, now=now)
        # One index lookup answers both "has this tick a run?" and "which tick came before?".
        latest = Run.objects.filter(job=job, due_at__lte=due_at).order_by("-due_at").values_list("due_at", flat=True)[:1]
        previous = latest[0] if latest else None
        if previous == due_at:
            logger.info("tick_duplicate job_id=%s due_at=%s", job_id, due_at.isoformat())
            return None
        _missed_record(job, due_at, now, previous)
        late = (now - due_at).total_seconds()
        if late > job.missed_grace_seconds:
            return _record(job, due_at, status=Status.SKIPPED, message=(
                f"missed: due {due_at.isoformat()}, fired {late:.0f} s late (grace {job.missed_grace_seconds} s)"
            ))
        active = list(Run.objects.active().filter(job=job).order_by("created_at", "pk"))
        running = [r for r in active if not r.held]
        if not running or job.overlap_policy == Policy.ALLOW:
            return _record(job, due_at)
        if job.overlap_policy == Policy.SKIP:
            return _record(job, due_at, status=Status.SKIPPED, message=(
                f"skipped: run {running[0].pk} is still {running[0].status}"
            ))
        if job.overlap_policy == Policy.QUEUE:
            waiting = [r for r in active if r.held]
            if waiting:
                return _record(job, due_at, status=Status.SKIPPED, message=(
                    f"skipped: run {waiting[0].pk} is already waiting for run {running[0].pk}"
                ))
            return _record(job, due_at, hold=True, message=f"waiting for run {running[0].pk} to end")
        for run in active:
            run_cancel(run=run)
            logger.info("run_replaced run_id=%s job_id=%s", run.pk, job.pk)
        return _record(job, due_at)


def _missed_record(job: Job, due_at: dt.datetime, now: dt.datetime, previous: dt.datetime | None) -> int:
    """Record ticks between the job's previous tick and this one as missed (never replayed).

    Only ticks older than ``MISSED_AFTER`` count: a younger one may still be on its way
    (two messages handled out of order). Nothing before the job's last change is owed.
    """
    if previous is None or now - previous <= MISSED_AFTER:
        return 0
    spec = job_spec(job)
    if spec is None:
        return 0
    since = max(previous, job.updated_at)
    cutoff = min(due_at - dt.timedelta(microseconds=1), now - MISSED_AFTER)
    missed = ticks.ticks_between(spec, since, cutoff, MISSED_RECORD_LIMIT)
    if not missed:
        return 0
    recorded = 0
    for tick in missed:
        # Each missed tick ends through run_end like any run, so it is notified when the job asks.
        try:
            with transaction.atomic():
                run = run_unstarted_create(job=job, trigger=Run.Trigger.SCHEDULE, due_at=tick)
        except IntegrityError:
            continue
        run_end(run_id=run.pk, from_statuses=[Status.QUEUED], to_status=Status.SKIPPED, job=job,
                message="missed: the scheduler did not fire this tick")
        recorded += 1
    if recorded:
        logger.warning("ticks_missed job_id=%s count=%s first=%s", job.pk, recorded, missed[0].isoformat())
    return recorded


def _record(job: Job, due_at: dt.datetime, *, status: str = Status.QUEUED, message: str = "", hold: bool = False):
    """Create the tick's run; a skipped tick, or one that cannot start, is ended at once through ``run_end``."""
    final = status in Run.FINAL_STATUSES
    try:
        with transaction.atomic():
            run = run_create(
                job=job, trigger=Run.Trigger.SCHEDULE, due_at=due_at, message="" if final else message, hold=hold,
                enqueue=not final,
            )
    except IntegrityError:
        logger.info("tick_duplicate job_id=%s due_at=%s", job.pk, due_at.isoformat())
        return None
    except (JobTypeUnavailable, ArgumentsInvalid) as exc:
        # The tick still gets its run, so the job page shows why nothing ran; it is retried and notified like any failed run.
        run = run_unstarted_create(job=job, trigger=Run.Trigger.SCHEDULE, due_at=due_at)
        logger.error("tick_failed job_id=%s due_at=%s error=%s", job.pk, due_at.isoformat(), exc)
        status, message, final = Status.FAILED, f"{type(exc).__name__}: {exc}", True
    if final:
        run_end(run_id=run.pk, from_statuses=[Status.QUEUED], to_status=status, job=job, message=message)
        run.refresh_from_db()
    logger.info("tick_fired job_id=%s due_at=%s run_id=%s status=%s", job.pk, due_at.isoformat(), run.pk, status)
    return run
