"""What ``manage.py jobs sync`` prints: one line per finding or change."""

from __future__ import annotations

from jobs.sync import SyncReport


def sync_lines(report: SyncReport, *, create_missing: bool) -> list[str]:
    """The sync report as terminal lines (``would ...`` in a dry run)."""

    def do(done: str, would: str) -> str:
        return would if report.dry_run else done

    lines = []
    if report.types_without_job and not create_missing:
        lines.append(f"job types without a job: {', '.join(report.types_without_job)} "
                     "(--create-missing creates one job each with the type's defaults)")
    for type_id, job in report.created:
        target = f"job {job.pk} ({job.title})" if job else "a job"
        lines.append(f"{do('created', 'would create')} {target} for job type {type_id!r}")
    for type_id, why in report.not_creatable:
        lines.append(f"cannot create a job for job type {type_id!r}: {why}; add one in the admin")
    for job in report.unavailable_jobs:
        lines.append(f"job {job.pk} ({job.title}): its type {job.task_type!r} is not installed; "
                     "reinstall it or delete the job")
    for problem in report.broken_types:
        lines.append(f"broken job type {problem.source}: {problem.message}")
    for job, fields in report.schedules_repaired:
        lines.append(f"schedule of job {job.pk} ({job.title}): {do('repaired', 'would repair')} {', '.join(fields)}")
    for task_id, name in report.orphans_removed:
        lines.append(f"{do('removed', 'would remove')} schedule {name!r} (periodic task {task_id}): it is no job's schedule")
    if not report.changed:
        lines.append("nothing to change" if lines else "in sync: nothing to do")
    return lines
