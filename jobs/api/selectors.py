"""What the API lists: jobs and runs filtered by their query parameters (validated by the filter serializers)."""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery

from jobs.models import Job, Run

RUN_LIST_DEFERRED = ("args", "counters", "errors", "traceback")


def jobs_filtered(*, task_type=None, active=None, last_status=None, search=None):
    queryset = Job.objects.with_run_stats().select_related("periodic_task__crontab", "periodic_task__interval",
                                                           "periodic_task__clocked")
    if task_type:
        queryset = queryset.filter(task_type=task_type)
    if active is not None:
        queryset = queryset.filter(active=active)
    if last_status == "never":
        queryset = queryset.filter(last_run_id__isnull=True)
    elif last_status:
        newest = Run.objects.newest_for(OuterRef("pk")).values("status")[:1]
        queryset = queryset.annotate(last_status=Subquery(newest)).filter(last_status=last_status)
    if search:
        queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search) | Q(task_type__icontains=search))
    return queryset.order_by("title", "pk")


def runs_filtered(*, job=None, status=None, trigger=None, created_after=None, created_before=None):
    """Runs matching the filters, without their heavy columns; the paginator orders them."""
    queryset = Run.objects.select_related("job", "started_by").defer(*RUN_LIST_DEFERRED)
    if job is not None:
        queryset = queryset.filter(job_id=job)
    if status:
        queryset = queryset.filter(status__in=sorted(status))
    if trigger:
        queryset = queryset.filter(trigger=trigger)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset


def run_detail(pk: int) -> Run | None:
    return Run.objects.select_related("job", "started_by", "cancelled_by", "retry_of").filter(pk=pk).first()
