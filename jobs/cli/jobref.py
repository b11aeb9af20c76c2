"""The ``JOB`` argument of every ``manage.py jobs`` subcommand (run, runs --job, schedule): one rule.

``JOB`` is tried, in this order, as:

1. a job id (digits): that job;
2. an exact job title: that job;
3. a job type id: that type's only job. With no job of the type, ``run`` creates one
   (``allow_new=True``, installed types only); every other subcommand exits 2.

Bad input raises ``CommandError`` with exit code 2: an unknown job, or a title or type
that names several jobs (the message lists them: give a job id).
"""

from __future__ import annotations

from django.core.management.base import CommandError

from jobs.models import Job
from jobs.registry import registry

EXIT_BAD_INPUT = 2
CANDIDATES_SHOWN = 10
JOB_HELP = "Job id, exact job title, or the type id of a job type's only job."


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_BAD_INPUT)


def _candidates(jobs: list[Job]) -> str:
    listed = ", ".join(f"{job.pk} ({job.title})" for job in jobs[:CANDIDATES_SHOWN])
    return listed + (", ..." if len(jobs) > CANDIDATES_SHOWN else "")


def job_resolve(ref: str, *, allow_new: bool = False) -> tuple[Job | None, str]:
    """Return ``(job, "")``, or ``(None, type_id)`` for a new job of an installed type (``allow_new`` only)."""
    if ref.isdigit():
        job = Job.objects.filter(pk=int(ref)).first()
        if job is None:
            raise bad_input(f"unknown job {ref}: no job has this id")
        return job, ""
    for field, several in (("title", f"several jobs are titled {ref!r}"), ("task_type", f"job type {ref!r} has several jobs")):
        jobs = list(Job.objects.filter(**{field: ref}).order_by("pk")[: CANDIDATES_SHOWN + 1])
        if len(jobs) == 1:
            return jobs[0], ""
        if jobs:
            raise bad_input(f"ambiguous job {ref!r}: {several}: {_candidates(jobs)}; give a job id")
    if allow_new and ref in registry:
        return None, ref
    raise bad_input(
        f"unknown job {ref!r}: not a job id, an exact job title nor the type id of a job (see `manage.py jobs list`)"
    )


def job_find(ref: str) -> Job:
    """The one job ``ref`` names (id, exact title, or a type with one job); exit 2 otherwise."""
    job, _ = job_resolve(ref)
    return job
