"""What follows a run's end: a retry, the job's waiting run, notifications, the slow alert, end listeners.

Called only by ``jobs.runs.ending``, exactly once per run: only the caller that won the
compare-and-set to a final status gets here. Apps above the lifecycle (the webhooks)
register an end listener instead of being imported here. When no retry follows, the job
type's ``chain_ended`` (``jobs.registry``) is called once the end has committed.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

from django.db import transaction

from jobs.models import Job, Run
from jobs.registry import RegisteredTask
from jobs.runs.dispatch import run_enqueue
from jobs.runs.notifications import run_notify
from jobs.runs.retries import attempt_ids, retry_schedule

logger = logging.getLogger(__name__)
Status = Run.Status


class EndListener(Protocol):
    def wants(self, status: str, job_id: int) -> bool:
        """Whether a run of this job ending in ``status`` concerns the listener; must cost no query."""

    def ended(self, run: Run) -> None:
        """The run ended and no retry of it is pending."""


_listeners: list[EndListener] = []


def end_listener_register(listener: EndListener) -> None:
    """Have ``listener`` told of every run's end (an app's ``ready()`` calls this once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _chain_end_hook(job: Job):
    """The job type's own ``chain_ended``, or None (no query: the registry is in memory)."""
    registered = job.registered_task
    if registered is None or registered.chain_ended.__func__ is RegisteredTask.chain_ended.__func__:
        return None
    return registered.chain_ended


def _needs_followup(status: str, job: Job) -> bool:
    return bool(
        (status == Status.FAILED and job.max_retries)
        or job.overlap_policy == Job.OverlapPolicy.QUEUE
        or (job.notify_emails or "").strip()
        or _chain_end_hook(job) is not None
        or any(listener.wants(status, job.pk) for listener in _listeners)
    )


def run_followups(*, run_id: int, status: str | None = None, job: Job | None = None) -> None:
    """``status`` and ``job``, when the caller has them, let a run that needs nothing cost no query."""
    if status is not None and job is not None and not _needs_followup(status, job):
        return
    run = Run.objects.select_related("job").filter(pk=run_id).first()
    if run is None or run.status not in Run.FINAL_STATUSES:
        return
    retry = retry_schedule(run=run)
    # Only the "queue" overlap policy holds runs (the reaper releases any left after a policy change).
    if run.job.overlap_policy == run.job.OverlapPolicy.QUEUE:
        held_run_release(job_id=run.job_id)
    run_notify(run=run, retrying=retry is not None)
    # Like e-mail, a failed run with a retry to come tells nothing; the last attempt decides.
    if retry is None:
        for listener in _listeners:
            if listener.wants(run.status, run.job_id):
                listener.ended(run)
        hook = _chain_end_hook(run.job)
        if hook is not None:
            # After the commit: files it removes are gone only once the end is stored.
            transaction.on_commit(functools.partial(hook, attempt_ids(run.pk)), robust=True)


def held_run_release(*, job_id: int) -> Run | None:
    """Send the job's waiting run once no other run of the job is active."""
    with transaction.atomic():
        Job.objects.select_for_update().filter(pk=job_id).first()
        active = Run.objects.active().filter(job_id=job_id)
        if active.filter(held=False).exists():
            return None
        run = active.filter(held=True, status=Status.QUEUED).order_by("created_at", "pk").first()
        if run is None or not Run.objects.filter(pk=run.pk, held=True, status=Status.QUEUED).update(held=False):
            return None
        run.held = False
        transaction.on_commit(lambda: run_enqueue(run=run))
    logger.info("held_run_released run_id=%s job_id=%s", run.pk, job_id)
    return run
