"""Writes of jobs: create and change a job (its defaults checked by the type's schema).

Runs have their own services in ``jobs.runs``; schedules are written only by
``jobs.scheduling.store``.
"""

from __future__ import annotations

import logging

from django.db import transaction

from jobs.arguments import default_args_clean
from jobs.exceptions import JobBusy
from jobs.models import Job, Run
from jobs.scheduling.store import schedule_clear, schedule_sync

logger = logging.getLogger(__name__)

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


def job_create(
    *, title: str, task_type: str, default_args: dict | None = None, user=None, key: str | None = None, **settings
) -> Job:
    """Create a job of an installed type; its default arguments must pass the schema.

    ``key`` names the job in a jobs file (``jobs.jobsfile``).
    """
    unknown = set(settings) - set(JOB_SETTINGS)
    if unknown:
        raise TypeError(f"unknown job settings: {sorted(unknown)}")
    cleaned = default_args_clean(task_type=task_type, data=default_args)
    job = Job(title=title, task_type=task_type, default_args=cleaned, created_by=user, key=key, **settings)
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
        schedule_sync(job=job)
    return job


@transaction.atomic
def job_delete(*, job: Job) -> None:
    """Delete a job, its schedule and its runs; refused (``JobBusy``) while one of its runs is active."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    active = Run.objects.filter(job=job, status__in=Run.ACTIVE_STATUSES).values_list("pk", flat=True).first()
    if active is not None:
        raise JobBusy(f"job {job.pk} has an active run ({active}): cancel it or wait for its end")
    schedule_clear(job=job)
    job_id = job.pk
    job.delete()
    logger.info("job_deleted job_id=%s", job_id)
