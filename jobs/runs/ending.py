"""Every run's end goes through ``run_end``: the compare-and-set to a final status, then what follows.

Whether a run ends in the worker, under ``manage.py jobs run --foreground``, by
cancellation, by a time limit, by the reaper, or as a tick that was skipped, missed or
could not start, the caller names the statuses it ends the run from and the final
status with its fields; ``run_end`` records it and, only if this caller won, does what
follows: for a top-level run the follow-ups (retry, release of a held run, notification,
slow alert); for a subtask, its parent's progress and, after its last child, the
parent's then-run (``jobs.runs.finishing``) or its own end (through ``run_end`` again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat

from jobs import conf
from jobs.models import Job, Run
from jobs.runs.fanin import CHILD_FIELDS, parent_outcome
from jobs.runs.finishing import then_run_start
from jobs.runs.followups import run_followups
from jobs.runs.status import run_transition

logger = logging.getLogger(__name__)
Status = Run.Status
Trigger = Run.Trigger
UNKNOWN = object()


def run_end(
    *,
    run_id: int,
    to_status: str,
    from_statuses: Iterable[str] = Run.ACTIVE_STATUSES,
    job: Job | None = None,
    parent_id=UNKNOWN,
    **fields,
) -> bool:
    """End the run in ``to_status`` if it is still in ``from_statuses``; return whether this caller ended it.

    ``job`` and ``parent_id``, when the caller has them, spare the queries of a run that
    needs no follow-up.
    """
    if to_status not in Run.FINAL_STATUSES:
        raise ValueError(f"{to_status!r} is not a final status")
    if not run_transition(run_id=run_id, from_statuses=from_statuses, to_status=to_status, **fields):
        return False
    logger.info("run_ended run_id=%s status=%s", run_id, to_status)
    if parent_id is UNKNOWN:
        parent_id = Run.objects.filter(pk=run_id).values_list("parent_id", flat=True).first()
    if parent_id is not None:
        # The parent's row lock orders this child's end with its siblings' and with the
        # parent's own return, so the last of them sees every other one committed.
        with transaction.atomic():
            list(Run.objects.select_for_update().filter(pk=parent_id).values_list("pk", flat=True))
            parent_progress(parent_id=parent_id)
            parent_try_end(parent_id=parent_id)
        return True
    if to_status in (Status.FAILED, Status.CANCELLED):
        _queued_children_cancel(parent_id=run_id)
    run_followups(run_id=run_id, status=to_status, job=job)
    return True


def run_await_children(*, run_id: int, **fields) -> bool:
    """The parent's task has returned: keep it running, its own results stored, until its last child ends.

    Call it inside a transaction: the row lock its UPDATE takes is held until the commit,
    which orders it with the children's ends (see ``run_end``).
    """
    if not Run.objects.filter(pk=run_id, status__in=[Status.RUNNING, Status.CANCELLING]).update(
        awaiting_children=True, **fields
    ):
        return False
    logger.info("run_awaiting_children run_id=%s", run_id)
    parent_progress(parent_id=run_id)
    parent_try_end(parent_id=run_id)
    return True


def parent_progress(*, parent_id: int) -> None:
    """One UPDATE: the waiting parent's progress and message from its children's statuses."""
    children = (
        Run.objects.filter(parent_id=OuterRef("pk")).exclude(trigger=Trigger.FINALLY).order_by().values("parent_id")
    )
    total = Coalesce(Subquery(children.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField())
    done = Coalesce(
        Subquery(children.filter(status__in=Run.FINAL_STATUSES).annotate(n=Count("pk")).values("n")), 0,
        output_field=IntegerField(),
    )
    Run.objects.filter(pk=parent_id, awaiting_children=True, status__in=[Status.RUNNING, Status.CANCELLING]).update(
        progress_done=done,
        progress_total=total,
        message=Concat(
            Value("waiting for "), Cast(total - done, output_field=TextField()), Value(" of "),
            Cast(total, output_field=TextField()), Value(" subtasks"), output_field=TextField(),
        ),
    )


def parent_try_end(*, parent_id: int) -> bool:
    """End a parent whose task has returned and whose children have all ended; return whether it ended.

    Called after every child's end and when the parent's task returns; whichever comes
    last sees no active child, and the parent's row lock lets one caller decide. A parent
    with a then-task (``spawn_finally``) first gets its then-run, started once and sent on
    commit (the lock is not held while it works); the parent ends after it.
    """
    with transaction.atomic():
        parent = (
            Run.objects.select_for_update(of=("self",))
            .filter(pk=parent_id, awaiting_children=True, status__in=[Status.RUNNING, Status.CANCELLING])
            .select_related("job")
            .first()
        )
        if parent is None or Run.objects.filter(parent_id=parent_id, status__in=Run.ACTIVE_STATUSES).exists():
            return False
        rows = list(Run.objects.filter(parent_id=parent_id).order_by("pk").values(*CHILD_FIELDS))
        children = [row for row in rows if row["trigger"] != Trigger.FINALLY]
        then = next((row for row in rows if row["trigger"] == Trigger.FINALLY), None)
        cancelling = parent.status == Status.CANCELLING
        if parent.then_task and then is None and not cancelling:
            then = _then_start(parent, children)
            if then is None:
                return False  # the parent ends after its then-run
        own_status = Status.PARTIAL_SUCCESS if parent.errors or parent.counters.get("errored") else Status.SUCCESS
        outcome = parent_outcome(
            own_status=own_status, own_counters=parent.counters, own_errors=parent.errors, children=children,
            cancelling=cancelling, max_errors=conf.get("JOBS_MAX_ERRORED_ENTRIES"), then=then,
        )
        return run_end(
            run_id=parent_id, from_statuses=[parent.status], to_status=outcome.status, job=parent.job,
            parent_id=parent.parent_id, message=outcome.message, counters=outcome.counters, errors=outcome.errors,
            progress_done=outcome.children, progress_total=outcome.children,
        )


def _then_start(parent: Run, children: list[dict]) -> dict | None:
    """Start the parent's then-run (None); when it cannot start, the failed step the parent ends with."""
    children_ok = all(child["status"] in (Status.SUCCESS, Status.PARTIAL_SUCCESS) for child in children)
    if then_run_start(parent=parent, children_ok=children_ok) is not None:
        Run.objects.filter(pk=parent.pk).update(message=f"{len(children)} subtasks ended; then {parent.then_task}")
        return None
    return {"id": None, "status": Status.FAILED, "counters": {}, "errors": [],
            "message": f"{parent.then_task} (after the subtasks) could not start: the job type is not installed"}


def _queued_children_cancel(*, parent_id: int) -> None:
    """A parent that failed or was cancelled leaves no child waiting in the queue (running ones finish)."""
    waiting = Run.objects.filter(parent_id=parent_id, status=Status.QUEUED).values_list("pk", flat=True)
    for child_id in list(waiting):
        run_end(run_id=child_id, from_statuses=[Status.QUEUED], to_status=Status.CANCELLED, parent_id=parent_id,
                message="cancelled: its parent run ended")


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
