"""Every write of the job system: jobs, runs and their status changes.

Status changes are compare-and-set updates (``UPDATE ... WHERE status IN (...)``):
the row count says whether this caller won, so a redelivered message or a late
"running" can never overwrite a newer status.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from marshmallow import ValidationError

from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable, RunNotCancellable
from jobs.models import Job, Run

logger = logging.getLogger(__name__)

Status = Run.Status


# --- arguments ---------------------------------------------------------------------


def to_json_safe(value: Any) -> Any:
    """Return ``value`` with datetimes as ISO-8601 (UTC offset), dates, decimals, UUIDs as strings."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_safe(v) for v in value]
    return value


def _registered(job: Job):
    registered = job.registered_task
    if registered is None:
        raise JobTypeUnavailable(f"job type {job.task_type!r} is not installed")
    return registered


def arguments_validate(*, task_type: str, data: dict | None) -> dict:
    """Load ``data`` with the type's schema; raise ``ArgumentsInvalid`` with field messages."""
    from jobs.registry import registry

    registered = registry.get(task_type)
    if registered is None:
        raise JobTypeUnavailable(f"job type {task_type!r} is not installed")
    if data is not None and not isinstance(data, dict):
        raise ArgumentsInvalid({"_schema": ["Arguments must be a JSON object."]})
    try:
        return registered.schema().load(data or {})
    except ValidationError as exc:
        raise ArgumentsInvalid(exc.messages) from exc


def default_args_clean(*, task_type: str, data: dict | None) -> dict:
    """Validate a job's default arguments and return them in their stored JSON form."""
    from jobs.registry import registry

    loaded = arguments_validate(task_type=task_type, data=data)
    given = {key: value for key, value in loaded.items() if key in (data or {})}
    return to_json_safe(registry.get(task_type).schema().dump(given))


def run_arguments_build(*, job: Job, args: dict | None = None) -> dict:
    """Validate ``args`` over the job's defaults and return the task's JSON arguments."""
    registered = _registered(job)
    merged = {**(job.default_args or {}), **(args or {})}
    validated = arguments_validate(task_type=job.task_type, data=merged)
    # A Job instance kept across runs (a loop, a shell, a scheduler) caches its last runs.
    for cached in ("last_runs", "last_run"):
        job.__dict__.pop(cached, None)
    return to_json_safe(registered.build_task_arguments(job, **validated))


# --- jobs --------------------------------------------------------------------------

JOB_SETTINGS = (
    "description",
    "queue",
    "active",
    "overlap_policy",
    "missed_grace_seconds",
    "soft_time_limit",
    "time_limit",
    "max_retries",
    "retry_backoff_seconds",
    "notify_emails",
    "notify_on",
    "slow_factor",
)


def job_create(*, title: str, task_type: str, default_args: dict | None = None, user=None, **settings) -> Job:
    """Create a job of an installed type; its default arguments must pass the schema."""
    unknown = set(settings) - set(JOB_SETTINGS)
    if unknown:
        raise TypeError(f"unknown job settings: {sorted(unknown)}")
    cleaned = default_args_clean(task_type=task_type, data=default_args)
    job = Job(title=title, task_type=task_type, default_args=cleaned, created_by=user, **settings)
    job.full_clean()
    job.save()
    logger.info("job_created job_id=%s task_type=%s", job.pk, task_type)
    return job


def job_update(*, job: Job, default_args: dict | None = None, **changes) -> Job:
    """Change a job's title, defaults or settings."""
    allowed = set(JOB_SETTINGS) | {"title"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown job settings: {sorted(unknown)}")
    if default_args is not None:
        job.default_args = default_args_clean(task_type=job.task_type, data=default_args)
    for name, value in changes.items():
        setattr(job, name, value)
    job.full_clean()
    job.save()
    if "active" in changes or "title" in changes:
        from jobs.scheduling import schedule_sync

        schedule_sync(job=job)
    return job


# --- runs --------------------------------------------------------------------------


def run_create(
    *,
    job: Job,
    args: dict | None = None,
    trigger: str = Run.Trigger.ADMIN,
    user=None,
    task_args: dict | None = None,
    due_at: dt.datetime | None = None,
    retry_of: Run | None = None,
    status: str = Status.QUEUED,
    message: str = "",
    hold: bool = False,
    countdown: float | None = None,
    enqueue: bool = True,
) -> Run:
    """Create a run and queue it once the transaction commits.

    ``args`` are validated over the job's defaults and passed through the type's
    ``build_task_arguments``; ``task_args`` (already-built arguments of an earlier run)
    skip that step. A run created with a final ``status`` (a skipped tick) is stored
    and not queued; a ``hold`` run waits for the job's active run (overlap policy
    "queue"); ``countdown`` delays the message (a retry's backoff); ``enqueue=False``
    stores a queued run that the caller executes itself (``manage.py jobs run
    --foreground``) instead of sending it to the broker.
    """
    if task_args is None:
        task_args = run_arguments_build(job=job, args=args)
    else:
        _registered(job)
        task_args = to_json_safe(task_args)
    now = timezone.now()
    run = Run(
        job=job,
        status=status,
        trigger=trigger,
        started_by=user if getattr(user, "pk", None) else None,
        args=task_args,
        queue=job.effective_queue,
        task_id=str(uuid.uuid4()),
        created_at=now,
        due_at=due_at,
        retry_of=retry_of,
        attempt=(retry_of.attempt + 1) if retry_of is not None else 0,
        message=message,
        held=hold and status == Status.QUEUED,
        not_before=now + dt.timedelta(seconds=countdown) if countdown else None,
    )
    if status in Run.FINAL_STATUSES:
        run.finished_at = now
    run.save(force_insert=True)
    logger.info("run_created run_id=%s job_id=%s trigger=%s status=%s", run.pk, job.pk, trigger, status)
    if status == Status.QUEUED and enqueue and not run.held:
        transaction.on_commit(lambda: run_enqueue(run=run, countdown=countdown))
    return run


def run_enqueue(*, run: Run, countdown: float | None = None):
    """Send the run's id to the broker on the run's queue (time limits from the job)."""
    from jobs.tasks import execute_run

    options = {"task_id": run.task_id, "queue": run.queue}
    job = run.job
    if job.soft_time_limit:
        options["soft_time_limit"] = job.soft_time_limit
    if job.time_limit:
        options["time_limit"] = job.time_limit
    if countdown:
        options["countdown"] = countdown
    execute_run.apply_async((run.pk,), **options)
    logger.debug("run_enqueued run_id=%s queue=%s", run.pk, run.queue)


def run_transition(*, run_id: int, from_statuses: Iterable[str], to_status: str, **fields) -> bool:
    """Compare-and-set the run's status; return whether this caller made the change."""
    changes = {"status": to_status, **fields}
    if to_status in Run.FINAL_STATUSES:
        changes.setdefault("finished_at", timezone.now())
    updated = Run.objects.filter(pk=run_id, status__in=list(from_statuses)).update(**changes)
    return updated == 1


def run_cancel(*, run: Run, user=None) -> Run:
    """Cancel a queued run at once; ask a running one to stop (``cancelling``)."""
    by = user if getattr(user, "pk", None) else None
    if run_transition(
        run_id=run.pk, from_statuses=[Status.QUEUED], to_status=Status.CANCELLED, cancelled_by=by, message="cancelled before it started"
    ):
        logger.info("run_cancelled run_id=%s while=queued", run.pk)
        from jobs.followups import run_followups

        run_followups(run_id=run.pk)
    elif run_transition(
        run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.CANCELLING, cancelled_by=by, cancel_requested_at=timezone.now()
    ):
        logger.info("run_cancel_requested run_id=%s", run.pk)
        from jobs.runcontrol import cancel_enforce_later

        transaction.on_commit(lambda: cancel_enforce_later(run_id=run.pk))
    else:
        run.refresh_from_db(fields=["status"])
        if run.status != Status.CANCELLING:
            raise RunNotCancellable(f"run {run.pk} has already ended ({run.get_status_display().lower()})")
    run.refresh_from_db()
    return run


def run_rerun(*, run: Run, user=None, trigger: str = Run.Trigger.ADMIN) -> Run:
    """Queue a new run of the same job with exactly the arguments ``run`` ran with."""
    return run_create(job=run.job, task_args=run.args, trigger=trigger, user=user)


def runs_purge(*, keep_days: int, keep_last: int, now: dt.datetime | None = None) -> dict:
    """Delete finished runs (and their logs) older than ``keep_days``, keeping each job's newest ``keep_last``."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from jobs.models import RunLog

    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    ranked = (
        Run.objects.annotate(
            rank=Window(RowNumber(), partition_by=[F("job_id")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(rank__gt=keep_last)
        .values("id")
    )
    candidates = Run.objects.finished().filter(created_at__lt=cutoff, id__in=ranked)
    ids = list(candidates.values_list("id", flat=True))
    logs = runs = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        with transaction.atomic():
            logs += RunLog.objects.filter(run_id__in=chunk).delete()[0]
            Run.objects.filter(retry_of_id__in=chunk).update(retry_of=None)
            runs += Run.objects.filter(id__in=chunk).delete()[0]
    logger.info("runs_purged runs=%s logs=%s cutoff=%s", runs, logs, cutoff.isoformat())
    return {"runs": len(ids), "logs": logs}
