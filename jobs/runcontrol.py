"""Make every run end: cancel grace enforcement and hard time limits.

A running run asked to cancel is ``cancelling``; if its task has not stopped after
``JOBS_CANCEL_GRACE_SECONDS`` the worker process running it is killed (Celery
``revoke(terminate=True, signal="SIGKILL")`` by the run's task id) and the run ends
``cancelled``. A task killed by its hard time limit never reaches the end of
``run_execute``; the worker's main process reports it (``task_failure``) and the run
ends ``failed`` ("timed out after N s"). The lost-run reaper is the backstop for both.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

from jobs.models import Run
from jobs.services import run_transition

logger = logging.getLogger(__name__)
Status = Run.Status


def cancel_grace_seconds() -> float:
    return float(getattr(settings, "JOBS_CANCEL_GRACE_SECONDS", 30))


def cancel_enforce_later(*, run_id: int, grace: float | None = None) -> None:
    """Check back on a ``cancelling`` run after the grace period."""
    from jobs.tasks import enforce_cancel

    enforce_cancel.apply_async((run_id,), countdown=cancel_grace_seconds() if grace is None else grace)


def cancel_enforce(*, run_id: int) -> bool:
    """Kill a run's task that ignored the cancel request; end the run ``cancelled``."""
    run = Run.objects.filter(pk=run_id, status=Status.CANCELLING).first()
    if run is None:
        return False
    if run.task_id:
        current_app.control.revoke(run.task_id, terminate=True, signal="SIGKILL")
    return cancelled_finish(run_id=run.pk, message="cancelled: the task ignored the request and was terminated")


def cancelled_finish(*, run_id: int, message: str) -> bool:
    if not run_transition(run_id=run_id, from_statuses=[Status.CANCELLING], to_status=Status.CANCELLED, message=message):
        return False
    logger.warning("run_cancel_enforced run_id=%s", run_id)
    from jobs.followups import run_followups

    run_followups(run_id=run_id)
    return True


def run_hard_timeout(*, run_id: int, limit: float | None) -> bool:
    """End a run whose worker process was killed by the hard time limit."""
    seconds = int(limit) if limit else Run.objects.filter(pk=run_id).values_list("job__time_limit", flat=True).first()
    if not run_transition(
        run_id=run_id,
        from_statuses=[Status.RUNNING, Status.CANCELLING],
        to_status=Status.FAILED,
        message=f"timed out after {seconds} s (hard time limit: the worker process was killed)",
    ):
        return False
    logger.warning("run_timed_out run_id=%s limit=%s", run_id, seconds)
    from jobs.followups import run_followups

    run_followups(run_id=run_id)
    return True
