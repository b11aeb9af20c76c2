"""Subtasks in the admin: the run list's level filter and the run page's children panel."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from jobs.models import Run

CHILDREN_PER_PAGE = 50


class LevelFilter(admin.SimpleListFilter):
    """Top-level runs by default; subtasks (or every run) on request."""

    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("top", _("Top-level runs")), ("subtasks", _("Subtasks")), ("all", _("All runs"))]

    def choices(self, changelist):
        # No built-in "All" entry: its link (no parameter) means top-level here.
        selected = self.value() or "top"
        for value, title in self.lookup_choices:
            yield {
                "selected": selected == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "top"
        if value == "subtasks":
            return queryset.filter(parent__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(parent__isnull=True)


def children_context(run: Run, page_number) -> dict:
    """The run page's subtasks panel: counts per status (one query) and one page of children."""
    if run.parent_id is None and not run.awaiting_children and not Run.objects.filter(parent_id=run.pk).exists():
        return {"children_total": 0}
    rows = Run.objects.filter(parent_id=run.pk).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in rows}
    labels = dict(Run.Status.choices)
    children = Run.objects.filter(parent_id=run.pk).order_by("pk").only(
        "id", "status", "title", "started_at", "finished_at", "progress_done", "progress_total", "message"
    )
    page = Paginator(children, CHILDREN_PER_PAGE).get_page(page_number)
    return {
        "children_total": sum(counts.values()),
        "children_counts": [(status, labels[status], counts[status]) for status in Run.Status.values if status in counts],
        "children_page": page,
    }
