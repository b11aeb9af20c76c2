"""Retries: a failed run comes back as a new run (trigger ``retry``) after a doubling backoff.

A run that never started (a tick whose arguments could not be built) is retried from
the job's defaults, built again now; when they still cannot be built there is no retry
and the failure is notified as the last attempt.
"""

from __future__ import annotations

import logging

from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Run
from jobs.runs.services import run_create

logger = logging.getLogger(__name__)


def retry_backoff(*, job, attempt: int) -> int:
    """Seconds before retry number ``attempt + 1``: the job's backoff, doubled per earlier retry."""
    return job.retry_backoff_seconds * (2**attempt)


def retry_schedule(*, run: Run) -> Run | None:
    """Queue a retry of a failed run while the job's ``max_retries`` allow; None otherwise."""
    job = run.job
    if run.status != Run.Status.FAILED or run.attempt >= job.max_retries or run.parent_id is not None:
        return None  # a subtask is retried with its parent, which re-runs only the children that did not succeed
    if run.retries.exists():
        return None
    countdown = retry_backoff(job=job, attempt=run.attempt)
    # A run that never started has no built arguments: build them again from the defaults.
    task_args = run.args if run.task_id else None
    try:
        retry = run_create(
            job=job, task_args=task_args, trigger=Run.Trigger.RETRY, retry_of=run, countdown=countdown or None
        )
    except (JobTypeUnavailable, ArgumentsInvalid) as exc:
        logger.warning("run_retry_impossible run_id=%s error=%s", run.pk, exc)
        return None
    logger.info("run_retry_queued run_id=%s retry_of=%s attempt=%s countdown=%s", retry.pk, run.pk, retry.attempt, countdown)
    return retry


def attempt_ids(run_id: int) -> list[int]:
    """The ids of this run and of the runs it retries, newest first: the first attempt's is last."""
    ids = [run_id]
    while (earlier := Run.objects.filter(pk=ids[-1]).values_list("retry_of_id", flat=True).first()) is not None:
        ids.append(earlier)
    return ids


def run_chain(run: Run) -> list[Run]:
    """The run's retry chain, first attempt first: the runs it retried and the retries that followed."""
    chain = [run]
    current = run
    while current.retry_of_id is not None:
        current = Run.objects.select_related("job").get(pk=current.retry_of_id)
        chain.insert(0, current)
    current = run
    while True:
        following = Run.objects.filter(retry_of=current).order_by("created_at", "pk").first()
        if following is None:
            return chain
        chain.append(following)
        current = following
