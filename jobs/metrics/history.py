"""The runs part of a scrape without re-reading the whole history: finished runs are folded once.

A run that has ended never changes again, so each process keeps the aggregates of the
runs it has already counted (``run_rows`` rows) and reads only what is new:

1. ``bounds``: the watermark (the first run created less than ``JOBS_METRICS_FOLD_SECONDS``
   ago, else the next id) and PostgreSQL's count of deleted runs (``pg_stat``);
2. ``fold``: ended runs between the old and the new watermark, and those of the runs left
   active at an earlier fold that have ended since, in one statement that also returns
   the ids of the runs still active (kept for the next scrape);
3. ``live``: the runs above the watermark and the ones still active, aggregated afresh.

Three queries, each reading only recent or active rows after a process's first scrape
(which reads everything once). When runs were deleted (a purge, a deleted job) the
folded state is dropped and rebuilt, so every process reports what the table holds. The
watermark trails by ``JOBS_METRICS_FOLD_SECONDS`` (60 s) so that a run whose insert is
still uncommitted when a fold happens is not skipped. SQLite (``make run``) has no
statistics view and always reads everything.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from jobs import conf
from jobs.metrics import queries
from jobs.models import Run

_lock = threading.Lock()
_state: dict = {}


def reset() -> None:
    """Forget the folded runs (the next scrape reads everything)."""
    _state.clear()
    _state.update(watermark=0, deleted=None, pending=[], rows={})


reset()


def _bounds(now: dt.datetime) -> tuple[int, int]:
    cutoff = now - dt.timedelta(seconds=conf.get("JOBS_METRICS_FOLD_SECONDS"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COALESCE((SELECT MIN(id) FROM {Run._meta.db_table} WHERE created_at >= %s),
                                (SELECT MAX(id) + 1 FROM {Run._meta.db_table}), 0),
                       COALESCE((SELECT n_tup_del FROM pg_stat_user_tables WHERE relid = %s::regclass), 0)""",
            [cutoff, Run._meta.db_table],
        )
        watermark, deleted = cursor.fetchone()
    return watermark, deleted


def run_rows_now(now: dt.datetime | None = None) -> list[dict]:
    """``queries.run_rows()`` over every stored run, reading only new and active runs once warm."""
    if connection.vendor != "postgresql":
        return queries.run_rows()
    with _lock:
        watermark, deleted = _bounds(now or timezone.now())
        if deleted != _state["deleted"] or watermark < _state["watermark"]:
            reset()
            _state["deleted"] = deleted
        old = _state["watermark"]
        newer = Q(pk__gte=old, pk__lt=watermark) | Q(pk__in=_state["pending"])
        folded = queries.run_rows(newer, ids=ArrayAgg("pk", filter=Q(status__in=Run.ACTIVE_STATUSES), default=[]))
        _state["pending"] = sorted(pk for row in folded if row["status"] in Run.ACTIVE_STATUSES for pk in row["ids"])
        ended = [row for row in folded if row["status"] not in Run.ACTIVE_STATUSES]
        if ended:
            _state["rows"] = queries.rows_merge(_state["rows"], ended)
        _state["watermark"] = max(old, watermark)
        live = queries.run_rows(Q(pk__gte=_state["watermark"]) | Q(pk__in=_state["pending"]))
        return list(queries.rows_merge(_state["rows"], live).values())
