"""Reconcile the database with the installed job types and the jobs' schedules (``manage.py jobs sync``).

``jobs_sync`` looks at three things and, unless ``dry_run``, fixes what it can:

- installed job types without a job: listed; with ``create_missing`` each gets one job
  with the type's defaults (a type whose schema needs values cannot, and is reported);
- jobs whose type is not installed (and broken entry points): reported only, since
  deleting a job deletes its history and reinstalling the plugin brings it back;
- schedules: every job's ``PeriodicTask`` follows the job (``scheduling.schedule_sync``),
  and tasks that are no job's schedule any more are deleted
  (``scheduling.schedule_orphans_delete``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from jobs.arguments import default_args_clean
from jobs.exceptions import ArgumentsInvalid
from jobs.models import Job
from jobs.registry import RegistryProblem, registry
from jobs.scheduling.store import schedule_drift, schedule_orphans, schedule_orphans_delete, schedule_sync
from jobs.services import job_create

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What ``jobs_sync`` found and did (with ``dry_run``: what it would do)."""

    dry_run: bool
    types_without_job: list[str] = field(default_factory=list)
    created: list[tuple[str, Job | None]] = field(default_factory=list)  # (type id, job; None in a dry run)
    not_creatable: list[tuple[str, str]] = field(default_factory=list)  # (type id, why)
    unavailable_jobs: list[Job] = field(default_factory=list)
    broken_types: list[RegistryProblem] = field(default_factory=list)
    schedules_repaired: list[tuple[Job, list[str]]] = field(default_factory=list)  # (job, fields)
    orphans_removed: list[tuple[int, str]] = field(default_factory=list)  # (task id, task name)

    @property
    def needs_attention(self) -> bool:
        """Something an administrator has to decide: sync does not fix it."""
        return bool(self.unavailable_jobs or self.broken_types or self.not_creatable)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.schedules_repaired or self.orphans_removed)


def jobs_sync(*, create_missing: bool = False, dry_run: bool = False, user=None) -> SyncReport:
    """Compare jobs with the registry and schedules with jobs; fix what can be fixed unless ``dry_run``."""
    report = SyncReport(dry_run=dry_run, broken_types=registry.problems)
    with transaction.atomic():
        used = set(Job.objects.values_list("task_type", flat=True).distinct())
        report.types_without_job = sorted(set(registry.types) - used)
        if create_missing:
            for type_id in report.types_without_job:
                _create_default_job(report, type_id, dry_run=dry_run, user=user)
        report.unavailable_jobs = list(Job.objects.exclude(task_type__in=list(registry.types)).order_by("pk"))

        scheduled = Job.objects.filter(periodic_task__isnull=False).select_related(
            "periodic_task", "periodic_task__clocked"
        ).order_by("pk")
        for job in scheduled:
            drift = sorted(schedule_drift(job=job, task=job.periodic_task))
            if drift and not dry_run:
                drift = schedule_sync(job=job, task=job.periodic_task)
            if drift:
                report.schedules_repaired.append((job, drift))
        orphans = list(schedule_orphans()) if dry_run else schedule_orphans_delete()
        report.orphans_removed = [(task.pk, task.name) for task in orphans]
    if report.changed and not dry_run:
        logger.info(
            "jobs_synced created=%s schedules_repaired=%s orphans_removed=%s",
            len(report.created), len(report.schedules_repaired), len(report.orphans_removed),
        )
    return report


def _create_default_job(report: SyncReport, type_id: str, *, dry_run: bool, user) -> None:
    registered = registry.get(type_id)
    try:
        default_args_clean(task_type=type_id, data={})
        job = None if dry_run else job_create(
            title=registered.title or type_id, task_type=type_id, description=registered.description or "", user=user
        )
    except ArgumentsInvalid as exc:
        report.not_creatable.append((type_id, f"its arguments need values ({exc})"))
        return
    report.created.append((type_id, job))
