"""Create runs: a manual, CLI, API, scheduled or retried run, stored before it is sent.

A run row is committed before its id goes to the broker (``transaction.on_commit``); a
run the broker could not take stays ``queued`` "waiting for the broker" and the outbox
(``jobs.runs.outbox``) sends it once the broker is back.
Runs end only through ``jobs.runs.ending.run_end``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.arguments import registered_type, run_arguments_build, to_json_safe
from jobs.models import Job, Run
from jobs.runs.dispatch import run_enqueue

logger = logging.getLogger(__name__)
Status = Run.Status


def run_create(
    *,
    job: Job,
    args: dict | None = None,
    trigger: str = Run.Trigger.ADMIN,
    user=None,
    task_args: dict | None = None,
    due_at: dt.datetime | None = None,
    retry_of: Run | None = None,
    message: str = "",
    hold: bool = False,
    countdown: float | None = None,
    enqueue: bool = True,
    parent: Run | None = None,
    task_name: str = "",
    title: str = "",
    request_token: str | None = None,
) -> Run:
    """Create a queued run and send it once the transaction commits.

    ``args`` are validated over the job's defaults and passed through the type's
    ``build_task_arguments``; ``task_args`` (already-built arguments of an earlier run
    or of a preview) skip that step. A ``hold`` run waits for the job's active run
    (overlap policy "queue"); ``countdown`` delays the message (a retry's backoff);
    ``enqueue=False`` stores a queued run that the caller executes itself (``manage.py
    jobs run --foreground``) or ends at once (a skipped tick) instead of sending it.
    ``parent``, ``task_name`` and ``title`` make a subtask (``jobs.runs.subtasks``).
    """
    if task_args is None:
        task_args = run_arguments_build(job=job, args=args)
    else:
        registered_type(job.task_type)
        task_args = to_json_safe(task_args)
    now = timezone.now()
    run = Run(
        job=job,
        status=Status.QUEUED,
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
        held=hold,
        not_before=now + dt.timedelta(seconds=countdown) if countdown else None,
        parent=parent,
        task_name=task_name,
        title=title,
        # Claimed for the send after the commit below (a refused send clears it for the
        # outbox); a run its caller executes or ends itself is never the outbox's to send;
        # a held run is sent by its release.
        sent_at=None if (enqueue and hold) else now,
        request_token=request_token,
    )
    run.save(force_insert=True)
    logger.info("run_created run_id=%s job_id=%s trigger=%s", run.pk, job.pk, trigger)
    if enqueue and not run.held:
        transaction.on_commit(lambda: run_enqueue(run=run, countdown=countdown, claimed_at=now))
    return run


def run_create_once(*, request_token: str | None, **kwargs) -> tuple[Run, bool]:
    """``run_create`` for a form that may be submitted twice: (the run, whether it is new).

    ``request_token`` is the form's one-time token: a second submission (a retry after
    an error page, a double click, the browser's resend) returns the run the first one
    created, even when both arrive at once (the token is unique in the database).
    """
    if not request_token:
        return run_create(**kwargs), True
    existing = Run.objects.filter(request_token=request_token).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return run_create(request_token=request_token, **kwargs), True
    except IntegrityError:
        existing = Run.objects.filter(request_token=request_token).first()
        if existing is None:
            raise
        logger.info("run_create_repeated run_id=%s", existing.pk)
        return existing, False


def run_unstarted_create(
    *, job: Job, trigger: str, due_at: dt.datetime | None = None, retry_of: Run | None = None, parent: Run | None = None
) -> Run:
    """Store a queued run that is never sent, for a tick or retry whose arguments could not be built.

    The caller ends it at once through ``run_end`` with the reason, so it is retried and
    notified like any failed run.
    """
    run = Run.objects.create(
        job=job,
        status=Status.QUEUED,
        trigger=trigger,
        due_at=due_at,
        queue=job.effective_queue,
        created_at=timezone.now(),
        retry_of=retry_of,
        attempt=(retry_of.attempt + 1) if retry_of is not None else 0,
        parent=parent,
        sent_at=timezone.now(),  # never sent: the outbox leaves it alone
    )
    logger.info("run_created run_id=%s job_id=%s trigger=%s unstarted=true", run.pk, job.pk, trigger)
    return run


def run_rerun(*, run: Run, user=None, trigger: str = Run.Trigger.ADMIN) -> Run:
    """Queue a new run of the same job with exactly the arguments ``run`` ran with."""
    return run_create(job=run.job, task_args=run.args, trigger=trigger, user=user)
