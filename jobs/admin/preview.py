"""Sentences that say what previewed task arguments will do, for Run now and Run again.

Today one argument needs words: ``since`` (the contract of incremental job types: read
only what changed since then). "records modified since 1 Dec 2026 22:15 only" tells the
operator why a second import reports its records as "skipped (since)", not "unchanged".
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone


def _when(value) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT") if isinstance(value, dt.datetime) else str(value)


def arguments_notes(task_args: dict | None) -> list[str]:
    """What the arguments will do, one sentence each (empty when nothing needs saying)."""
    notes = []
    if task_args and "since" in task_args:
        since = task_args["since"]
        if since:
            notes.append(
                f"since: records modified since {_when(since)} only; older records are not read again "
                "and are counted as “skipped (since)”."
            )
        else:
            notes.append("since is empty: every record is read.")
    return notes
