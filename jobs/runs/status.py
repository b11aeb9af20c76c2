"""The one way a run's status changes: a compare-and-set ``UPDATE … WHERE status IN (…)``.

The row count says whether this caller won, so a redelivered message or a late
"running" can never overwrite a newer status. Final statuses are written only through
``jobs.runs.ending.run_end``, which calls this and then does what follows an end.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from jobs.models import Run


def run_transition(*, run_id: int, from_statuses: Iterable[str], to_status: str, **fields) -> bool:
    """Compare-and-set the run's status; return whether this caller made the change."""
    changes = {"status": to_status, **fields}
    if to_status in Run.FINAL_STATUSES:
        changes.setdefault("finished_at", timezone.now())
    updated = Run.objects.filter(pk=run_id, status__in=list(from_statuses)).update(**changes)
    return updated == 1
