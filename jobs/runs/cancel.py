"""Cancelling a run: the cancel service and its enforcement.

A queued run is cancelled at once. A running run asked to cancel is ``cancelling``; if
its task has not stopped after ``JOBS_CANCEL_GRACE_SECONDS`` the worker process running
it is killed (Celery ``revoke(terminate=True, signal="SIGKILL")`` by the run's task id)
and the run ends ``cancelled``. The lost-run reaper is the backstop.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from jobs import conf
from jobs.exceptions import RunNotCancellable
from jobs.models import Run
from jobs.runs.dispatch import cancel_check_send
from jobs.runs.ending import run_end
from jobs.runs.status import run_transition

logger = logging.getLogger(__name__)
Status = Run.Status


def cancel_grace_seconds() -> float:
    return float(conf.get("JOBS_CANCEL_GRACE_SECONDS"))


def run_cancel(*, run: Run, user=None) -> Run:
    """Cancel a queued run at once; ask a running one to stop (``cancelling``)."""
    by = user if getattr(user, "pk", None) else None
    if run_end(
        run_id=run.pk, from_statuses=[Status.QUEUED], to_status=Status.CANCELLED, cancelled_by=by,
        message="cancelled before it started",
    ):
        logger.info("run_cancelled run_id=%s while=queued", run.pk)
    elif run_transition(
        run_id=run.pk, from_statuses=[Status.RUNNING], to_status=Status.CANCELLING, cancelled_by=by,
        cancel_requested_at=timezone.now(),
    ):
        logger.info("run_cancel_requested run_id=%s", run.pk)
        # A parent's subtasks are cancelled with it; it ends `cancelled` when the last one has ended.
        for child in Run.objects.filter(parent_id=run.pk, status__in=[Status.QUEUED, Status.RUNNING]):
            run_cancel(run=child, user=user)
        transaction.on_commit(lambda: cancel_enforce_later(run_id=run.pk))
    else:
        run.refresh_from_db(fields=["status"])
        if run.status != Status.CANCELLING:
            raise RunNotCancellable(f"run {run.pk} has already ended ({run.get_status_display().lower()})")
    run.refresh_from_db()
    return run


def cancel_enforce_later(*, run_id: int, grace: float | None = None) -> None:
    """Check back on a ``cancelling`` run after the grace period."""
    cancel_check_send(run_id=run_id, countdown=cancel_grace_seconds() if grace is None else grace)


def cancel_enforce(*, run_id: int) -> bool:
    """Kill a run's task that ignored the cancel request; end the run ``cancelled``."""
    run = Run.objects.filter(pk=run_id, status=Status.CANCELLING).first()
    if run is None:
        return False
    if run.task_id:
        current_app.control.revoke(run.task_id, terminate=True, signal="SIGKILL")
    ended = run_end(
        run_id=run.pk, from_statuses=[Status.CANCELLING], to_status=Status.CANCELLED,
        message="cancelled: the task ignored the request and was terminated",
    )
    if ended:
        logger.warning("run_cancel_enforced run_id=%s", run_id)
    return ended
