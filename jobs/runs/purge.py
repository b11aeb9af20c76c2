"""Delete old finished runs and their logs, keeping each job's newest ones."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from jobs.models import Run, RunLog

logger = logging.getLogger(__name__)


def runs_purge(*, keep_days: int, keep_last: int, now: dt.datetime | None = None) -> dict:
    """Delete finished runs (and their logs) older than ``keep_days``, keeping each job's newest ``keep_last``."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    ranked = (
        Run.objects.annotate(
            rank=Window(RowNumber(), partition_by=[F("job_id")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(rank__gt=keep_last)
        .values("id")
    )
    candidates = Run.objects.finished().filter(created_at__lt=cutoff, id__in=ranked)
    ids = list(candidates.values_list("id", flat=True))
    logs = runs = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        with transaction.atomic():
            logs += RunLog.objects.filter(run_id__in=chunk).delete()[0]
            Run.objects.filter(retry_of_id__in=chunk).update(retry_of=None)
            runs += Run.objects.filter(id__in=chunk).delete()[0]
    logger.info("runs_purged runs=%s logs=%s cutoff=%s", runs, logs, cutoff.isoformat())
    return {"runs": len(ids), "logs": logs}
