"""Every run's end goes through ``run_end``: the compare-and-set to a final status, then what follows.

Whether a run ends in the worker, under ``manage.py jobs run --foreground``, by
cancellation, by a time limit, by the reaper, or as a tick that was skipped, missed or
could not start, the caller names the statuses it ends the run from and the final
status with its fields; ``run_end`` records it and, only if this caller won, does the
follow-ups (retry, release of a held run, notification, slow alert).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from jobs.models import Job, Run
from jobs.runs.followups import run_followups
from jobs.runs.status import run_transition

logger = logging.getLogger(__name__)
Status = Run.Status


def run_end(
    *, run_id: int, to_status: str, from_statuses: Iterable[str] = Run.ACTIVE_STATUSES, job: Job | None = None, **fields
) -> bool:
    """End the run in ``to_status`` if it is still in ``from_statuses``; return whether this caller ended it.

    ``job``, when the caller has it loaded, spares a query for a run that needs no follow-up.
    """
    if to_status not in Run.FINAL_STATUSES:
        raise ValueError(f"{to_status!r} is not a final status")
    if not run_transition(run_id=run_id, from_statuses=from_statuses, to_status=to_status, **fields):
        return False
    logger.info("run_ended run_id=%s status=%s", run_id, to_status)
    run_followups(run_id=run_id, status=to_status, job=job)
    return True


def run_hard_timeout(*, run_id: int, limit: float | None) -> bool:
    """End a run whose worker process was killed by the hard time limit."""
    seconds = int(limit) if limit else Run.objects.filter(pk=run_id).values_list("job__time_limit", flat=True).first()
    ended = run_end(
        run_id=run_id,
        from_statuses=[Status.RUNNING, Status.CANCELLING],
        to_status=Status.FAILED,
        message=f"timed out after {seconds} s (hard time limit: the worker process was killed)",
    )
    if ended:
        logger.warning("run_timed_out run_id=%s limit=%s", run_id, seconds)
    return ended
