"""The step a parent run takes after its last subtask (``current_run().spawn_finally``): its then-run.

``jobs.runs.ending.parent_try_end`` decides, under the parent's row lock, that every
child has ended; it then starts the parent's ``then_task`` as one more child run (trigger
``finally``, at most one per parent), sent when that transaction commits. The join runs
on any worker through ``run_execute`` like every run (its own logs, heartbeats, time
limits and reaper), and no lock is held while it works. Its end, like every child's,
comes back to ``parent_try_end``, which then ends the parent (``jobs.runs.fanin``).
"""

from __future__ import annotations

import logging

from jobs.exceptions import JobTypeUnavailable
from jobs.models import Run
from jobs.runs.services import run_create

logger = logging.getLogger(__name__)
THEN_TITLE = "after the subtasks"


def then_run_start(*, parent: Run, children_ok: bool) -> Run | None:
    """Create the child run that calls ``parent``'s then-task with ``children_ok``; None when it cannot be.

    ``children_ok`` says whether every subtask succeeded (errored entries allowed). Call it
    holding the parent's row lock, once every other child has ended.
    """
    try:
        run = run_create(
            job=parent.job, task_args={**(parent.then_args or {}), "children_ok": children_ok},
            trigger=Run.Trigger.FINALLY, parent=parent, task_name=parent.then_task, title=THEN_TITLE,
        )
    except JobTypeUnavailable as exc:
        logger.error("then_impossible run_id=%s task=%s error=%s", parent.pk, parent.then_task, exc)
        return None
    logger.info("then_started run_id=%s parent_id=%s task=%s children_ok=%s", run.pk, parent.pk, parent.then_task,
                children_ok)
    return run
