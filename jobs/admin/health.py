"""The admin's "Health" page (/admin/jobs/health/): runs per hour, slowest jobs, failing jobs, next ticks.

Five queries whatever the history: runs per hour and status for 7 days, the slowest jobs
over those days, the jobs whose newest outcome is a failure, and the active schedules
(whose next due times are computed here with ``jobs.scheduling.store``).
"""

from __future__ import annotations

import datetime as dt
import heapq

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, OuterRef, Subquery
from django.db.models.functions import TruncHour
from django.template.response import TemplateResponse
from django.utils import timezone

from jobs.durations import duration_text
from jobs.models import Job, Run
from jobs.scheduling import store

DAYS = 7
SHOWN = 10
OUTCOMES = (Run.Status.SUCCESS, Run.Status.PARTIAL_SUCCESS, Run.Status.FAILED, Run.Status.CANCELLED)


def runs_per_hour(now: dt.datetime, days: int = DAYS) -> dict:
    """Runs created per hour (UTC) and status over the last ``days``: labels, statuses, one series each."""
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=24 * days - 1)
    rows = (
        Run.objects.filter(created_at__gte=start).order_by()
        .annotate(hour=TruncHour("created_at", tzinfo=dt.UTC)).values("hour", "status").annotate(n=Count("pk"))
    )
    hours = [start + dt.timedelta(hours=i) for i in range(24 * days)]
    index = {hour: i for i, hour in enumerate(hours)}
    series: dict[str, list[int]] = {}
    for row in rows:
        i = index.get(row["hour"])
        if i is not None:
            series.setdefault(row["status"], [0] * len(hours))[i] += row["n"]
    statuses = [s for s in Run.Status.values if s in series]
    return {"labels": [f"{h:%a %d %H}:00" for h in hours], "statuses": statuses, "series": series,
            "total": sum(sum(values) for values in series.values())}


def slowest_jobs(now: dt.datetime, days: int = DAYS, n: int = SHOWN) -> list[dict]:
    """Jobs by mean duration of their finished runs created in the last ``days`` (read on the created index)."""
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    rows = (
        Run.objects.top_level().filter(created_at__gte=now - dt.timedelta(days=days), started_at__isnull=False,
                           finished_at__isnull=False).order_by()
        .values("job_id", "job__title").annotate(mean=Avg(duration), longest=Max(duration), runs=Count("pk"))
        .order_by("-mean")[:n]
    )
    return [{**row, "mean_text": duration_text(row["mean"]), "longest_text": duration_text(row["longest"])} for row in rows]


def jobs_last_failed(n: int = 50) -> list[Job]:
    """Jobs whose newest outcome (skipped ticks aside) is a failure, newest failure first."""
    outcome = Run.objects.top_level().filter(job=OuterRef("pk"), status__in=OUTCOMES).order_by("-created_at", "-pk")
    return list(
        Job.objects.annotate(
            outcome_status=Subquery(outcome.values("status")[:1]),
            outcome_id=Subquery(outcome.values("pk")[:1]),
            outcome_at=Subquery(outcome.values("created_at")[:1]),
            outcome_message=Subquery(outcome.values("message")[:1]),
        ).filter(outcome_status=Run.Status.FAILED).order_by("-outcome_at")[:n]
    )


def next_ticks(now: dt.datetime, n: int = SHOWN) -> list[tuple[dt.datetime, Job]]:
    """The next ``n`` due ticks of all active schedules, soonest first."""
    jobs = Job.objects.filter(active=True, periodic_task__enabled=True).select_related(
        "periodic_task__interval", "periodic_task__crontab", "periodic_task__clocked"
    )
    upcoming = ((when, job.pk, job) for job in jobs for when in store.schedule_next_fire_times(job, n, now=now))
    return [(when, job) for when, _, job in heapq.nsmallest(n, upcoming, key=lambda item: (item[0], item[1]))]


def health_context(now: dt.datetime) -> dict:
    hourly = runs_per_hour(now)
    return {
        "hourly_chart": hourly,
        "slowest": slowest_jobs(now),
        "failing": jobs_last_failed(),
        "next_ticks": next_ticks(now),
        "active_counts": dict(
            Run.objects.active().order_by().values_list("status").annotate(n=Count("pk"))
        ),
        "days": DAYS,
    }


def health_view(request):
    if not request.user.has_perm("jobs.view_job"):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Health",
        "opts": Job._meta,
        **health_context(timezone.now()),
    }
    return TemplateResponse(request, "admin/jobs/health.html", context)
