"""What the delete pages of jobs and runs list: the runs and counts, never every log line.

Django's confirmation page loads every related row to list it (its collector never
fast-deletes); a run can have millions of log lines, so these pages count them instead.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from jobs.models import Job, Run, RunLog

RUNS_LISTED = 50


def _link(admin_site, obj, text) -> str:
    opts = obj._meta
    url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('{}: <a href="{}">{}</a>', opts.verbose_name.capitalize(), url, text)


def _run_text(run: Run) -> str:
    return f"Run {run.pk} of {run.job.title} ({run.get_status_display().lower()})"


def deletion_summary(objs, request, admin_site):
    """Return Django's ``(deleted_objects, model_count, perms_needed, protected)`` for jobs or runs."""
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    model_count = {}
    if isinstance(objs[0], Job):
        runs = Run.objects.filter(job__in=objs)
        per_job = dict(runs.order_by().values_list("job_id").annotate(n=Count("pk")))
        deleted = []
        for job in objs:
            deleted += [_link(admin_site, job, job.title), [f"{per_job.get(job.pk, 0):,} run(s) and their log lines"]]
        model_count[Job._meta.verbose_name_plural] = len(objs)
    else:
        runs = Run.objects.filter(pk__in=[run.pk for run in objs])
        deleted = [_link(admin_site, run, _run_text(run)) for run in objs[:RUNS_LISTED]]
        if len(objs) > RUNS_LISTED:
            deleted.append(f"... and {len(objs) - RUNS_LISTED:,} more run(s)")
    model_count[Run._meta.verbose_name_plural] = runs.count()
    model_count["log lines"] = RunLog.objects.filter(run__in=runs.values("pk")).count()
    perms_needed = set()
    if model_count[Run._meta.verbose_name_plural] and not request.user.has_perm("jobs.delete_run"):
        perms_needed.add(Run._meta.verbose_name)
    return deleted, {name: n for name, n in model_count.items() if n}, perms_needed, []
