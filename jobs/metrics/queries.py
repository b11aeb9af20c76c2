"""The reads behind ``/metrics``: a fixed number of aggregate queries, whatever the history size.

Each function is one query (``job_rows`` two: the jobs and their schedules' tables are
joined in). Nothing loops over runs in Python: PostgreSQL (or SQLite under ``make run``)
groups and counts, and a scrape costs the same number of queries for 10 runs or a million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from jobs.models import Job, Run

# Upper bounds (seconds) of the histograms' buckets; +Inf is added by the collector.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
WAIT_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800, 3600)
# Finished runs that say how the job went (a skipped tick is not an outcome).
OUTCOME_STATUSES = (Run.Status.SUCCESS, Run.Status.PARTIAL_SUCCESS, Run.Status.FAILED, Run.Status.CANCELLED)
MISSED_PREFIX = "missed"


def _span(end: str, start):
    return ExpressionWrapper(F(end) - start, output_field=DurationField())


def _bucket_counts(name: str, buckets, condition: Q) -> dict:
    """``count(*) FILTER (WHERE name <= bound)`` for every bound (cumulative, as Prometheus wants)."""
    return {
        f"{name}_le_{i}": Count("pk", filter=condition & Q(**{f"{name}__lte": dt.timedelta(seconds=bound)}))
        for i, bound in enumerate(buckets)
    }


@dataclass
class Histogram:
    buckets: tuple
    counts: list = field(default_factory=list)  # cumulative, one per bucket
    count: int = 0
    total: float = 0.0

    def add(self, row: dict, name: str):
        counts = [row[f"{name}_le_{i}"] for i in range(len(self.buckets))]
        self.counts = [a + b for a, b in zip(self.counts, counts, strict=True)] if self.counts else counts
        self.count += row[f"{name}_n"]
        self.total += (row[f"{name}_sum"] or dt.timedelta()).total_seconds()


def run_rows(where: Q | None = None, **extra) -> list[dict]:
    """One row per (job, status, trigger): run count, missed ticks, and the three histograms' buckets.

    One pass over the runs (those matching ``where``): durations (finished runs that
    started), queue wait (enqueue, or a retry's ``not_before``, to start) and schedule
    lateness (due to start). ``extra``: more aggregates per row.
    """
    duration = Q(started_at__isnull=False, finished_at__isnull=False)
    started = Q(started_at__isnull=False)
    late = Q(started_at__isnull=False, due_at__isnull=False)
    runs = Run.objects.order_by() if where is None else Run.objects.filter(where).order_by()
    return list(
        runs
        .annotate(
            duration=_span("finished_at", F("started_at")),
            wait=_span("started_at", Coalesce("not_before", "created_at")),
            late=_span("started_at", F("due_at")),
        )
        .values("job_id", "status", "trigger")
        .annotate(
            n=Count("pk"),
            missed=Count("pk", filter=Q(status=Run.Status.SKIPPED, message__startswith=MISSED_PREFIX)),
            duration_n=Count("pk", filter=duration),
            duration_sum=Sum("duration", filter=duration),
            wait_n=Count("pk", filter=started),
            wait_sum=Sum("wait", filter=started),
            late_n=Count("pk", filter=late),
            late_sum=Sum("late", filter=late),
            **_bucket_counts("duration", DURATION_BUCKETS, duration),
            **_bucket_counts("wait", WAIT_BUCKETS, started),
            **_bucket_counts("late", WAIT_BUCKETS, late),
            **extra,
        )
    )


ROW_KEY = ("job_id", "status", "trigger")


def row_key(row: dict) -> tuple:
    return tuple(row[k] for k in ROW_KEY)


def _row_add(into: dict, row: dict) -> dict:
    """A new row: ``into`` plus ``row`` (counts and sums; None counts as nothing)."""
    merged = dict(into)
    for name, value in row.items():
        if name in ROW_KEY or name == "ids" or value is None:
            continue
        merged[name] = value if merged.get(name) is None else merged[name] + value
    return merged


def rows_merge(rows: dict[tuple, dict], more: list[dict]) -> dict[tuple, dict]:
    """``rows`` (by key) plus the rows ``more`` of ``run_rows``; ``rows`` is left as it was."""
    merged = dict(rows)
    for row in more:
        key = row_key(row)
        merged[key] = _row_add(merged[key], row) if key in merged else {k: v for k, v in row.items() if k != "ids"}
    return merged

def job_rows() -> list[Job]:
    """Every job with its newest success and newest outcome (status, end, counters) and its schedule.

    The per-job lookups are correlated subqueries on the (job, status, created) and
    (job, created) indexes: one query for all jobs.
    """
    top = Run.objects.top_level()  # a subtask's end is not the job's
    success = top.filter(job=OuterRef("pk"), status=Run.Status.SUCCESS).order_by("-created_at", "-pk")
    outcome = top.filter(job=OuterRef("pk"), status__in=OUTCOME_STATUSES).order_by("-created_at", "-pk")
    return list(
        Job.objects.order_by("pk")
        .select_related("periodic_task__interval", "periodic_task__crontab", "periodic_task__clocked")
        .annotate(
            last_success_at=Subquery(success.values("finished_at")[:1]),
            last_outcome_status=Subquery(outcome.values("status")[:1]),
            last_outcome_counters=Subquery(outcome.values("counters")[:1]),
        )
    )


def active_rows() -> list[dict]:
    """Active runs per status: how many, the oldest's creation and the stalest heartbeat."""
    return list(
        Run.objects.active().order_by().values("status")
        .annotate(n=Count("pk"), oldest=Min("created_at"), stalest=Min(Coalesce("heartbeat_at", "started_at")))
    )

