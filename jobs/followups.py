"""What happens once a run has ended: a retry, the job's waiting run, notifications.

Called by whoever moved the run to its final status (execution, cancel, time limit,
reaper), exactly once, since only the winner of the compare-and-set calls it.
"""

from __future__ import annotations

from jobs.models import Job, Run


def _needs_followup(status: str, job: Job) -> bool:
    return bool(
        (status == Run.Status.FAILED and job.max_retries)
        or job.overlap_policy == Job.OverlapPolicy.QUEUE
        or (job.notify_emails or "").strip()
    )


def run_followups(*, run_id: int, status: str | None = None, job: Job | None = None) -> None:
    """``status`` and ``job``, when the caller has them, let a run that needs nothing cost no query."""
    from jobs.firing import held_run_release
    from jobs.notifications import run_notify
    from jobs.retries import retry_schedule

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
