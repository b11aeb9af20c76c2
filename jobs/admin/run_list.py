"""The run list's parts: its filters (job, quiet system runs), time columns with seconds, its change list."""

from __future__ import annotations

from django.contrib import admin

from jobs.admin.display import time_text
from jobs.admin.pagination import UncountedChangeList
from jobs.models import Job
from jobs.runs.quiet import quiet_runs_q

HEAVY_FIELDS = ("args", "counters", "errors", "traceback")


class JobFilter(admin.SimpleListFilter):
    """Runs of one job; lists jobs by title (the selected one always, at most ``shown`` in all)."""

    title = "job"
    parameter_name = "job"
    shown = 100

    def lookups(self, request, model_admin):
        jobs = list(Job.objects.order_by("title", "pk").values_list("pk", "title")[: self.shown])
        value = self.value()
        if value and value.isdigit() and all(str(pk) != value for pk, _ in jobs):
            jobs += list(Job.objects.filter(pk=int(value)).values_list("pk", "title"))
        return [(str(pk), title) for pk, title in jobs]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(job_id=int(value))


class QuietSystemRunsFilter(admin.SimpleListFilter):
    """Hides the runs of housekeeping jobs that did nothing (``jobs.runs.quiet``) unless asked to show them."""

    title = "quiet system runs"
    parameter_name = "quiet"
    SHOW = "show"

    def lookups(self, request, model_admin):
        return [(self.SHOW, "Shown")]

    def choices(self, changelist):
        yield {
            "selected": self.value() != self.SHOW,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hidden",
        }
        yield {
            "selected": self.value() == self.SHOW,
            "query_string": changelist.get_query_string({self.parameter_name: self.SHOW}),
            "display": "Shown",
        }

    def queryset(self, request, queryset):
        return queryset if self.value() == self.SHOW else queryset.exclude(quiet_runs_q())


def time_column(name: str, description: str, *, ordering: str | None = None):
    """A read-only field or list column showing the run's ``name`` time with seconds."""

    @admin.display(description=description, ordering=ordering)
    def show(self, run):
        return time_text(getattr(run, name))

    return show


class RunChangeList(UncountedChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*HEAVY_FIELDS)
