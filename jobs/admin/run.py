"""Admin of runs: a list that stays fast on millions of rows, and the live run page."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from jobs import conf
from jobs.admin.deletion import deletion_summary
from jobs.admin.display import status_badge
from jobs.admin.pagination import EstimatedCountPaginator
from jobs.admin.preview import arguments_notes
from jobs.admin.run_list import HEAVY_FIELDS, JobFilter, QuietSystemRunsFilter, RunChangeList, time_column
from jobs.admin.subtasks import LevelFilter, children_context
from jobs.admin.views import LEVELS, run_logs_download, run_status_response
from jobs.durations import duration_text
from jobs.exceptions import JobTypeUnavailable, RunNotCancellable
from jobs.logs.selectors import LOG_PAGE_SIZE, LogFilter, log_page
from jobs.models import Job, Run
from jobs.runs.cancel import cancel_grace_seconds, run_cancel
from jobs.runs.services import run_rerun
from jobs.units import run_progress_text

ERRORS_SHOWN = 1000
RERUN_ACTION_LIMIT = 100
TIMES = ("created_at", "started_at", "finished_at", "heartbeat_at", "due_at")  # shown as <name>_display
MATCHED_JOBS_LISTED = 1000  # a search matching more jobs matches so many runs that the newest are found at once


class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id", "job_title", "status_display", "trigger", "created_display", "duration_display", "progress_display", "started_by",
    ]
    list_display_links = ["id"]
    list_filter = [
        LevelFilter, "status", JobFilter, "trigger", ("created_at", admin.DateFieldListFilter), QuietSystemRunsFilter,
    ]
    search_fields = ["job__title", "=task_id", "message"]
    list_select_related = ["job", "started_by"]
    list_per_page = 50  # rendering a row costs ~0.5 ms; 50 keeps the page well under 150 ms
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["cancel_selected", "rerun_selected"]
    change_form_template = "admin/jobs/run/change_form.html"
    fieldsets = [
        (None, {"fields": ["job_link", "trigger", "started_by", "cancelled_by", "attempt_display", "retry_of_link"]}),
        ("Timing", {"fields": [*(f"{name}_display" for name in TIMES[:3]), "duration_display", *(f"{name}_display" for name in TIMES[3:])]}),
        ("Worker", {"fields": ["queue", "task_id", "host"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "job_link", "trigger", "started_by", "cancelled_by", "attempt_display", "retry_of_link",
        *(f"{name}_display" for name in TIMES), "duration_display", "queue", "task_id", "host",
    ]

    class Media:
        css = {"all": ["jobs/jobs.css"]}
        js = ["jobs/run.js"]

    # --- permissions: runs are made by services, never edited -------------------------

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request):
        return request.user.has_perm("jobs.cancel_run")

    def has_run_permission(self, request):
        return request.user.has_perm("jobs.run_job")

    def get_deleted_objects(self, objs, request):
        return deletion_summary(objs, request, self.admin_site)

    def response_delete(self, request, obj_display, obj_id):
        # Runs are read-only, so Django's default (the list only with the change permission) went to the index.
        response = super().response_delete(request, obj_display, obj_id)
        if self.has_view_permission(request) and response.status_code == 302:
            return HttpResponseRedirect(reverse("admin:jobs_run_changelist"))
        return response

    # --- list -----------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return RunChangeList

    def get_search_results(self, request, queryset, search_term):
        """Match a run id, or the whole text in the job title, the task id or the message.

        The matching jobs are looked up first (a small table) and given as a list of ids:
        with a subquery PostgreSQL can only filter run by run, with the list it combines
        the job index, the task id index and the message's trigram index (one bitmap each).
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        match = Q(task_id=term) | Q(message__icontains=term)
        job_ids = list(Job.objects.filter(title__icontains=term).order_by().values_list("pk", flat=True)[: MATCHED_JOBS_LISTED + 1])
        if len(job_ids) > MATCHED_JOBS_LISTED:
            match |= Q(job__in=Job.objects.filter(title__icontains=term).values("pk"))
        elif job_ids:
            match |= Q(job_id__in=job_ids)
        return queryset.filter(match), False

    @admin.display(description="job", ordering="job__title")
    def job_title(self, run):
        return run.job.title

    @admin.display(description="status", ordering="status")
    def status_display(self, run):
        return status_badge(run.status, run.get_status_display())

    # Times with seconds (jobs.admin.display.time_text): a run often lasts less than a minute.
    created_display = time_column("created_at", "created", ordering="created_at")
    created_at_display = time_column("created_at", "created at")
    started_at_display = time_column("started_at", "started at")
    finished_at_display = time_column("finished_at", "finished at")
    heartbeat_at_display = time_column("heartbeat_at", "heartbeat at")
    due_at_display = time_column("due_at", "due at")

    @admin.display(description="duration")
    def duration_display(self, run):
        return duration_text(run.duration)

    @admin.display(description="progress")
    def progress_display(self, run):
        # The list defers counters (HEAVY_FIELDS): no records-read figure here, no query per row.
        return run_progress_text(run, with_counters=False)

    @admin.display(description="job")
    def job_link(self, run):
        return format_html('<a href="{}">{}</a>', reverse("admin:jobs_job_change", args=[run.job_id]), run.job.title)

    @admin.display(description="attempt")
    def attempt_display(self, run):
        # ``attempt`` counts retries from 0; "Attempt: 0" read like "never attempted".
        return "first run (not a retry)" if not run.attempt else f"retry {run.attempt}"

    @admin.display(description="retry of")
    def retry_of_link(self, run):
        if run.retry_of_id is None:
            return "-"
        return format_html('<a href="{}">run {}</a>', reverse("admin:jobs_run_change", args=[run.retry_of_id]), run.retry_of_id)

    # --- actions ------------------------------------------------------------------

    @admin.action(description="Cancel selected runs", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        active = queryset.filter(status__in=Run.ACTIVE_STATUSES)
        if request.POST.get("post") != "yes":
            # Ask first, as Django's delete action does (the form posts back with post=yes).
            runs = list(active.select_related("job").defer(*HEAVY_FIELDS)[:RERUN_ACTION_LIMIT])
            if not runs:
                messages.info(request, "None of the selected runs is active: nothing to cancel.")
                return None
            return self._cancel_confirmation(request, runs, action_url="", list_action=True)
        done = 0
        for run in active.defer(*HEAVY_FIELDS):
            try:
                run = run_cancel(run=run, user=request.user)
            except RunNotCancellable:
                continue
            self.log_change(request, run, f"Cancelled run {run.pk} ({run.status})")
            done += 1
        messages.info(request, f"{done} run(s) cancelled or asked to stop; finished runs were left alone.")

    @admin.action(description="Run again with the same arguments", permissions=["run"])
    def rerun_selected(self, request, queryset):
        new_ids = []
        for run in queryset.select_related("job")[:RERUN_ACTION_LIMIT]:
            try:
                new = run_rerun(run=run, user=request.user)
            except JobTypeUnavailable as exc:
                messages.error(request, f"Run {run.pk}: {exc}")
                continue
            self.log_change(request, run.job, f"Ran job again: run {new.pk} (arguments of run {run.pk})")
            new_ids.append(new.pk)
        if new_ids:
            messages.success(request, f"Queued run(s) {', '.join(map(str, new_ids))} (at most {RERUN_ACTION_LIMIT} at once).")

    # --- run page -------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name="jobs_run_cancel"),
            path("<path:object_id>/rerun/", wrap(self.rerun_view), name="jobs_run_rerun"),
            path("<path:object_id>/status/", wrap(self.status_view), name="jobs_run_status"),
            path("<path:object_id>/logs.txt", wrap(self.logs_download_view), name="jobs_run_logs"),
        ]
        return [*own, *super().get_urls()]

    def _run_or_404(self, request, object_id):
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(f"run {object_id} does not exist")
        return run

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, unquote(object_id))
        extra = {}
        if run is not None:
            extra = self._run_context(request, run)
            # Other apps add sections to the run page by template name (jobs imports none of them).
            extra["run_panels"] = conf.get("JOBS_RUN_PAGE_PANELS")
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("job", "started_by", "cancelled_by")

    def _run_context(self, request, run):
        flt = LogFilter.from_params(request.GET, prefix="log_")
        page = log_page(
            run.pk, flt, after=request.GET.get("log_after"), before=request.GET.get("log_before"),
            last=request.GET.get("log_last") == "1",
        )
        for line in page.lines:
            line.level_name = logging.getLevelName(line.level)
        after = request.GET.get("log_after")
        poll_after = page.last_seq if page.last_seq is not None else (int(after) if after and after.isdigit() else -1)
        query = urlencode({k: v for k, v in (("log_level", flt.level or ""), ("log_q", flt.q)) if v})
        errors = run.errors or []
        chain, ancestor = [], run.retry_of
        while ancestor is not None and len(chain) < 20:
            chain.append(ancestor)
            ancestor = ancestor.retry_of
        return {
            "subtitle": f"Run {run.pk} of {run.job.title}",
            "run": run,
            "status_badge": status_badge(run.status, run.get_status_display()),
            "args_json": json.dumps(run.args, indent=2, ensure_ascii=False, sort_keys=True),
            "counters": sorted((run.counters or {}).items()),
            "errors_shown": errors[:ERRORS_SHOWN],
            "errors_total": len(errors),
            "retry_chain": chain,
            "retries": list(run.retries.order_by("created_at", "pk").only("id", "status", "created_at", "attempt")[:20]),
            "log_page": page,
            "log_filter": flt,
            "log_level_value": str(flt.level or ""),
            "log_query": query,
            "log_poll_after": poll_after,
            "log_page_size": LOG_PAGE_SIZE,
            "log_levels": LEVELS,
            "can_cancel": self.has_cancel_permission(request),
            "can_rerun": self.has_run_permission(request) and run.job.available,
            "duration": duration_text(run.duration),
            "progress_text": run_progress_text(run),
            **children_context(run, request.GET.get("children_page")),
        }

    def _post_only(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def _cancel_confirmation(self, request, runs, *, action_url, list_action=False):
        for run in runs:
            run.progress_text = run_progress_text(run, with_counters=False)
        back = reverse("admin:jobs_run_change", args=[runs[0].pk]) if not list_action else request.get_full_path()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Cancel run?" if len(runs) == 1 else f"Cancel {len(runs)} runs?",
            "runs": runs,
            "grace": f"{cancel_grace_seconds():g}",
            "action_url": action_url,
            "list_action": list_action,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/jobs/run/cancel_confirm.html", context)

    def cancel_view(self, request, object_id):
        """GET: ask for confirmation; POST: cancel (or ask to stop) the run."""
        if not self.has_cancel_permission(request):
            raise PermissionDenied("Cancelling a run needs the permission “Can cancel runs” (jobs.cancel_run).")
        run = self._run_or_404(request, object_id)
        if request.method == "GET":
            if not run.is_active:
                messages.info(request, f"Run {run.pk} has already ended ({run.get_status_display().lower()}).")
                return HttpResponseRedirect(reverse("admin:jobs_run_change", args=[run.pk]))
            return self._cancel_confirmation(request, [run], action_url=request.path)
        if (refused := self._post_only(request)) is not None:
            return refused
        try:
            run = run_cancel(run=run, user=request.user)
        except RunNotCancellable as exc:
            messages.warning(request, str(exc))
        else:
            self.log_change(request, run, f"Cancelled run {run.pk} ({run.status})")
            if run.status == Run.Status.CANCELLING:
                messages.success(
                    request,
                    f"Run {run.pk} was asked to stop: it ends as cancelled when its task next checks for "
                    "cancellation (a task that never checks runs to its end).",
                )
            else:
                messages.success(request, f"Run {run.pk} cancelled.")
        return HttpResponseRedirect(reverse("admin:jobs_run_change", args=[run.pk]))

    def rerun_view(self, request, object_id):
        """GET: preview the arguments the new run gets; POST: queue it."""
        if not self.has_run_permission(request):
            raise PermissionDenied("Running a job again needs the permission “Can run jobs” (jobs.run_job).")
        run = self._run_or_404(request, object_id)
        if request.method == "GET":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Run {run.job.title} again?",
                "run": run,
                "args_json": json.dumps(run.args, indent=2, ensure_ascii=False, sort_keys=True),
                "notes": arguments_notes(run.args),
            }
            return TemplateResponse(request, "admin/jobs/run/rerun_confirm.html", context)
        if (refused := self._post_only(request)) is not None:
            return refused
        try:
            new = run_rerun(run=run, user=request.user)
        except JobTypeUnavailable as exc:
            messages.error(request, f"This run cannot be run again: {exc}.")
            return HttpResponseRedirect(reverse("admin:jobs_run_change", args=[run.pk]))
        self.log_change(request, run.job, f"Ran job again: run {new.pk} (arguments of run {run.pk})")
        messages.success(request, f"Run {new.pk} queued with the arguments of run {run.pk}.")
        return HttpResponseRedirect(reverse("admin:jobs_run_change", args=[new.pk]))

    def status_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied("Seeing a run needs the permission “Can view run” (jobs.view_run).")
        object_id = unquote(object_id)
        run = Run.objects.filter(pk=object_id).defer("args").first() if object_id.isdigit() else None
        if run is None:
            raise Http404(f"run {object_id} does not exist")
        return run_status_response(run, request.GET)

    def logs_download_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied("Seeing a run needs the permission “Can view run” (jobs.view_run).")
        return run_logs_download(self._run_or_404(request, object_id))
