"""What a cancelled run's message says: who cancelled it and how far it got.

"cancelled by admin after 15,000 of 60,000 records", "cancelled by admin before it
started", "cancelled on request after 8.7 MB of 26.2 MB" (nobody named: the command
line's Ctrl-C, a replaced run). Amounts are written by ``jobs.units`` in the job type's
progress unit. Used by ``jobs.runs.cancel`` (queued runs, enforced cancels) and
``jobs.runs.execution`` (a task that stopped on request).
"""

from __future__ import annotations

from jobs.models import Run
from jobs.units import done_of_total_text, run_unit


def user_name(user) -> str | None:
    """The name a message gives a user (None for no user)."""
    return user.get_username() if getattr(user, "pk", None) else None


def canceller_name(run_id: int) -> str | None:
    """Who asked to cancel the run, read from the database (the worker's copy of the run predates it)."""
    return Run.objects.filter(pk=run_id).values_list("cancelled_by__username", flat=True).first()


def cancelled_message(
    *, by: str | None, done: int | None = None, total: int | None = None, unit: str = "records",
    before_start: bool = False,
) -> str:
    """The message of a cancelled run (see the module's docstring)."""
    if before_start:
        return f"cancelled by {by} before it started" if by else "cancelled before it started"
    who = f"cancelled by {by}" if by else "cancelled on request"
    how_far = done_of_total_text(done, total, unit)
    return f"{who} after {how_far}" if how_far else who


def run_cancelled_message(run: Run, *, done: int | None = None, total: int | None = None) -> str:
    """``cancelled_message`` for ``run``: its canceller, and ``done``/``total`` or else its stored progress."""
    if done is None and total is None:
        done, total = run.progress_done, run.progress_total
    return cancelled_message(by=canceller_name(run.pk), done=done, total=total, unit=run_unit(run))
