"""The reads behind ``/metrics``: a fixed number of aggregate queries, whatever the history size.

Each function is one query. Nothing loops over runs in Python: PostgreSQL (or SQLite
under ``make run``) groups and counts, and a scrape costs the same number of queries for
10 runs or a million. ``run_rows`` aggregates any set of runs (those a fold adds, the
deleted copies of ``RunGone``, the runs not folded yet); ``newest_outcomes`` finds jobs'
newest success and outcome; the ``fold_*`` functions read the stored fold. The reads of
every scrape run SQL the ORM compiled once per process (``compiled``).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.query import QuerySet

from jobs.metrics.models import HISTOGRAMS, HistogramFold, JobOutcome, RunCount, RunGone
from jobs.models import Job, Run

# Finished runs that say how the job went (a skipped tick is not an outcome).
OUTCOME_STATUSES = (Run.Status.SUCCESS, Run.Status.PARTIAL_SUCCESS, Run.Status.FAILED, Run.Status.CANCELLED)
MISSED_PREFIX = "missed"
ROW_KEY = ("job_id", "status", "trigger")


def _span(end: str, start):
    return ExpressionWrapper(F(end) - start, output_field=DurationField())


def _bucket_counts(name: str, buckets, condition: Q) -> dict:
    """``count(*) FILTER (WHERE name <= bound)`` for every bound (cumulative, as Prometheus wants)."""
    return {
        f"{name}_le_{i}": Count("pk", filter=condition & Q(**{f"{name}__lte": dt.timedelta(seconds=bound)}))
        for i, bound in enumerate(buckets)
    }


def run_rows(runs: QuerySet, **extra) -> list[dict]:
    """The rows of ``run_rows_queryset``."""
    return list(run_rows_queryset(runs, **extra))


def run_rows_queryset(runs: QuerySet, **extra) -> QuerySet:
    """One row per (job, status, trigger) of ``runs``: run count, missed ticks, and the three histograms' buckets.

    One pass over the runs (``Run`` or ``RunGone`` rows): durations (finished runs that
    started), queue wait (enqueue, or a retry's ``not_before``, to start) and schedule
    lateness (due to start). ``extra``: more aggregates per row.
    """
    started = Q(started_at__isnull=False)
    conditions = {
        "duration": Q(started_at__isnull=False, finished_at__isnull=False),
        "wait": started,
        "late": Q(started_at__isnull=False, due_at__isnull=False),
    }
    aggregates = {}
    for name, condition in conditions.items():
        aggregates[f"{name}_n"] = Count("pk", filter=condition)
        aggregates[f"{name}_sum"] = Sum(name, filter=condition)
        aggregates.update(_bucket_counts(name, HISTOGRAMS[name], condition))
    return (
        runs.order_by()
        .annotate(
            duration=_span("finished_at", F("started_at")),
            wait=_span("started_at", Coalesce("not_before", "created_at")),
            late=_span("started_at", F("due_at")),
        )
        .values(*ROW_KEY)
        .annotate(
            n=Count("pk"),
            missed=Count("pk", filter=Q(status=Run.Status.SKIPPED, message__startswith=MISSED_PREFIX)),
            **aggregates,
            **extra,
        )
    )


class Param:
    """A placeholder in a compiled read: its value is given each time the read runs (``compiled``)."""

    def __init__(self, name: str):
        self.name = name


@cache
def _compiled(build) -> tuple[str, tuple]:
    return build().query.sql_with_params()


def compiled(build, *, tuples: bool = False, **values) -> list:
    """The rows of the queryset ``build()`` (dicts, or tuples), ``values`` given for its ``Param`` placeholders.

    Its SQL is compiled by the ORM once per process: compiling ``run_rows``' 40-odd
    filtered aggregates takes the ORM longer than PostgreSQL takes to run them on the
    few runs not folded yet. PostgreSQL only (the driver's values, no ORM converters).
    """
    sql, params = _compiled(build)
    params = [values[p.name] if isinstance(p, Param) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if tuples:
            return rows
        names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _unfolded():
    table = connection.ops.quote_name(Run._meta.db_table)
    above = RawSQL(f"{table}.id >= %s OR {table}.id = ANY(%s)", (Param("watermark"), Param("pending")),
                   output_field=BooleanField())
    return Run.objects.filter(above)


def _run_rows_unfolded():
    return run_rows_queryset(_unfolded())


def _run_rows_gone():
    return run_rows_queryset(RunGone.objects.all())


def unfolded_rows(watermark: int, pending: list[int]) -> list[dict]:
    """``run_rows`` of the runs not folded: at or above ``watermark``, or ``pending``."""
    return compiled(_run_rows_unfolded, watermark=watermark, pending=pending)


def gone_rows() -> list[dict]:
    """``run_rows`` of the deleted runs not taken out of the fold yet."""
    return compiled(_run_rows_gone)


def _json(rows: list[tuple], at: int) -> list[tuple]:
    """``rows`` with the JSON text the driver gives at position ``at`` decoded."""
    return [(*row[:at], json.loads(row[at]) if isinstance(row[at], str) else row[at], *row[at + 1 :]) for row in rows]


def fold_counts_queryset(job_ids=None) -> QuerySet:
    """``(job_id, status, trigger, n, missed)`` of the stored keys (of ``job_ids`` only, when given), in key order."""
    counts = RunCount.objects.order_by(*ROW_KEY)
    return (counts if job_ids is None else counts.filter(job_id__in=job_ids)).values_list(*ROW_KEY, "n", "missed")


def fold_histograms_queryset(job_ids=None) -> QuerySet:
    """``(name, job_id, counts, count, total)`` of the stored histograms (of ``job_ids`` only, when given)."""
    histograms = HistogramFold.objects.order_by("name", "job_id")
    histograms = histograms if job_ids is None else histograms.filter(job_id__in=job_ids)
    return histograms.values_list("name", "job_id", "counts", "count", "total")


def fold_outcomes_queryset() -> QuerySet:
    """``(job_id, *NEWEST_FIELDS)``: each job's newest runs among the folded ones."""
    return JobOutcome.objects.order_by("job_id").values_list("job_id", *NEWEST_FIELDS)


def fold_counts() -> list[tuple]:
    """Every stored key's counts (``fold_counts_queryset``), read with its SQL compiled once."""
    return compiled(fold_counts_queryset, tuples=True)


def fold_histograms() -> list[tuple]:
    """Every stored histogram (``fold_histograms_queryset``), read with its SQL compiled once."""
    return _json(compiled(fold_histograms_queryset, tuples=True), 2)


def fold_outcomes() -> list[tuple]:
    """Every job's stored newest runs (``fold_outcomes_queryset``), read with its SQL compiled once."""
    return _json(compiled(fold_outcomes_queryset, tuples=True), len(NEWEST_FIELDS))  # outcome_counters, the last


def run_watermark(cutoff: dt.datetime) -> int:
    """The first run created at or after ``cutoff``, else the next id: every run below it has been committed."""
    table = Run._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT MIN(id) FROM {table} WHERE created_at >= %s), (SELECT MAX(id) + 1 FROM {table}), 0)",
            [cutoff],
        )
        return cursor.fetchone()[0]


def job_rows() -> list[dict]:
    """Every job: id, title, type, active."""
    return list(Job.objects.order_by("pk").values("pk", "title", "task_type", "active"))


SUCCESS_FIELDS = ("created_at", "id", "finished_at")  # in the order Newest compares them
OUTCOME_FIELDS = ("created_at", "id", "status", "counters")
NEWEST_FIELDS = (*(f"success_{f}" for f in SUCCESS_FIELDS), *(f"outcome_{f}" for f in OUTCOME_FIELDS))


def newest_outcomes(runs: QuerySet, job_ids=None) -> list[tuple]:
    """Per job (every job, or those of ``job_ids``): ``(job_id, *NEWEST_FIELDS)``, its newest success and outcome.

    Among the top-level ``runs`` (a subtask's end is not the job's), newest by creation;
    a skipped tick is not an outcome. ``success_id``, ``success_created_at``,
    ``success_finished_at``, ``outcome_id``, ``outcome_created_at``, ``outcome_status``,
    ``outcome_counters``: correlated subqueries on the (job, status, created) and (job,
    created) indexes, one query for all jobs.
    """
    top = runs.filter(parent__isnull=True, job=OuterRef("pk")).order_by("-created_at", "-pk")
    success, outcome = top.filter(status=Run.Status.SUCCESS), top.filter(status__in=OUTCOME_STATUSES)
    newest = {f"success_{f}": Subquery(success.values(f)[:1]) for f in SUCCESS_FIELDS}
    newest |= {f"outcome_{f}": Subquery(outcome.values(f)[:1]) for f in OUTCOME_FIELDS}
    jobs = Job.objects.order_by("pk") if job_ids is None else Job.objects.filter(pk__in=job_ids).order_by("pk")
    return list(jobs.annotate(**newest).values_list("pk", *newest))


def _unfolded_outcomes():
    return _unfolded().filter(parent__isnull=True, status__in=OUTCOME_STATUSES).values(
        "job_id", *dict.fromkeys((*SUCCESS_FIELDS, *OUTCOME_FIELDS))
    )


def unfolded_outcomes(watermark: int, pending: list[int]) -> list[dict]:
    """The finished top-level runs not folded (at or above ``watermark``, or ``pending``): candidates for the newest."""
    rows = compiled(_unfolded_outcomes, watermark=watermark, pending=pending)
    for row in rows:  # the driver's value: the JSON text
        row["counters"] = json.loads(row["counters"]) if isinstance(row["counters"], str) else row["counters"]
    return rows


def scheduled_jobs() -> list[Job]:
    """The active jobs with an enabled schedule, with the schedule's rows."""
    return list(
        Job.objects.filter(active=True, periodic_task__enabled=True)
        .select_related("periodic_task__interval", "periodic_task__crontab", "periodic_task__clocked")
        .order_by("pk")
    )


def active_rows() -> list[dict]:
    """Active runs per status: how many, the oldest's creation and the stalest heartbeat."""
    return list(
        Run.objects.active().order_by().values("status")
        .annotate(n=Count("pk"), oldest=Min("created_at"), stalest=Min(Coalesce("heartbeat_at", "started_at")))
    )

