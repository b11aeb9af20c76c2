"""Subtasks: one run fanned out over every worker as child runs of the same job.

From inside a task, ``current_run().spawn(task, kwargs, title=…)`` creates a child run
(same job, ``parent`` set, trigger ``subtask``) that is sent on commit to the job's queue
and executed by any worker through the same execution path as every run. When the
parent's task returns, the parent stays ``running`` ("waiting for 12 of 40 subtasks")
without holding a worker slot; ``jobs.runs.ending`` ends it when its last child ends.

This module holds the spawn service; ``jobs.runs.finishing`` the step after the last
subtask; ``jobs.runs.fanin`` the pure rule that turns the children's outcomes into the
parent's; the parent's end goes through ``run_end`` like every run.
"""

from __future__ import annotations

import logging

from jobs.arguments import to_json_safe
from jobs.models import Run
from jobs.runs.ending import run_end
from jobs.runs.retries import attempt_ids
from jobs.runs.services import run_create, run_unstarted_create

logger = logging.getLogger(__name__)
Status = Run.Status


def _task_name(task) -> str:
    name = task if isinstance(task, str) else getattr(task, "name", None)
    if not name:
        raise TypeError(f"spawn() needs a Celery task or its name, not {task!r}")
    return name


def _earlier_success(parent: Run, task_name: str, args: dict, title: str) -> Run | None:
    """The succeeded child of an earlier attempt of ``parent`` with the same task, arguments and title."""
    if parent.retry_of_id is None:
        return None
    return (
        Run.objects.filter(parent_id__in=attempt_ids(parent.retry_of_id), task_name=task_name, title=title, args=args,
                           status=Status.SUCCESS)
        .exclude(trigger=Run.Trigger.FINALLY)
        .order_by("-pk")
        .first()
    )


def subtask_spawn(*, parent: Run, task, kwargs: dict | None = None, title: str = "") -> Run:
    """Create a child run of ``parent`` that executes ``task(**kwargs)``; sent when the transaction commits.

    A retried parent does not run again a child that succeeded in an earlier attempt: the
    child is recorded as succeeded at once, with the earlier child's counters.
    """
    task_name = _task_name(task)
    args = to_json_safe(kwargs or {})
    title = title[:200]
    earlier = _earlier_success(parent, task_name, args, title)
    if earlier is not None:
        child = run_unstarted_create(job=parent.job, trigger=Run.Trigger.SUBTASK, parent=parent)
        Run.objects.filter(pk=child.pk).update(task_name=task_name, title=title, args=args)
        run_end(run_id=child.pk, from_statuses=[Status.QUEUED], to_status=Status.SUCCESS, parent_id=parent.pk,
                counters=earlier.counters, message=f"succeeded in run {earlier.pk} of an earlier attempt")
        logger.info("subtask_reused run_id=%s parent_id=%s earlier_id=%s", child.pk, parent.pk, earlier.pk)
        return child
    child = run_create(
        job=parent.job, task_args=args, trigger=Run.Trigger.SUBTASK, parent=parent, task_name=task_name, title=title
    )
    logger.info("subtask_spawned run_id=%s parent_id=%s task=%s", child.pk, parent.pk, task_name)
    return child


def subtask_finally_set(*, parent: Run, task, kwargs: dict | None = None) -> None:
    """Store ``task(**kwargs)`` on ``parent``: ``jobs.runs.finishing`` starts it as a run after its last subtask."""
    task_name = _task_name(task)
    Run.objects.filter(pk=parent.pk).update(then_task=task_name, then_args=to_json_safe(kwargs or {}))
    logger.info("subtask_finally_set run_id=%s task=%s", parent.pk, task_name)
