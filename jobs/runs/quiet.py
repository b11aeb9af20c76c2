"""Quiet system runs: runs of the built-in housekeeping jobs that found nothing to do.

"Reap lost runs" runs every minute; a run that changed nothing ends with the message
``QUIET_MESSAGE`` (decided once, at the end of the run, and stored in the run's own
message field). The run list hides these runs by default (``quiet_runs_q``: the job ids
of ``QUIET_TYPES`` and an exact message, so the exclusion is a check on the row, no JSON
scan, no extra index) and its "quiet system runs" filter shows them again. They are
still recorded: a run a minute is what shows the reaper itself is alive.
"""

from __future__ import annotations

from django.db.models import Q

from jobs.models import Job

QUIET_MESSAGE = "nothing to do"
QUIET_TYPES = ("reap_lost_runs",)


def quiet_message(counts: dict, *, describe) -> str:
    """``QUIET_MESSAGE`` when every count is zero, else ``describe(counts)``."""
    return describe(counts) if any(counts.values()) else QUIET_MESSAGE


def quiet_runs_q() -> Q:
    """The runs to hide: those of the quiet job types whose message says they did nothing."""
    job_ids = list(Job.objects.filter(task_type__in=QUIET_TYPES).order_by().values_list("pk", flat=True))
    if not job_ids:
        return Q(pk__in=[])
    return Q(job_id__in=job_ids, message=QUIET_MESSAGE)
