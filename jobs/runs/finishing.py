"""The task a parent run calls after its last subtask (``current_run().spawn_finally``).

``jobs.runs.ending.parent_try_end`` calls it, under the parent's row lock, once every
child has ended and before the parent's end is computed: a join of the children's
results, or their clean-up when one of them failed. Like ``jobs.runs.execution``, this
is a place where any failure of a job's code becomes a failed run.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

from jobs.models import Run

logger = logging.getLogger(__name__)


def then_call(*, parent: Run, children_ok: bool) -> tuple[bool, str]:
    """Call ``parent``'s then-task with ``children_ok``; return (whether it returned, its message or error)."""
    task = current_app.tasks.get(parent.then_task)
    if task is None:
        return False, f"Task {parent.then_task!r} (after the subtasks) is not registered in this worker."
    try:
        with transaction.atomic():  # a failed database write rolls back to here, not the caller's transaction
            result = task(**(parent.then_args or {}), children_ok=children_ok)
    except Exception as exc:  # noqa: BLE001 - a job's code failing ends its run failed, with the message
        logger.error("then_failed run_id=%s task=%s error=%s: %s", parent.pk, parent.then_task, type(exc).__name__, exc)
        return False, f"{type(exc).__name__}: {exc}".strip()
    logger.info("then_done run_id=%s task=%s children_ok=%s", parent.pk, parent.then_task, children_ok)
    message = result.get("message") if isinstance(result, dict) else None
    return True, str(message or "")
