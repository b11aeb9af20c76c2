"""Admin of jobs: the list, the add/change form built from the type's schema, "Run now"."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from jobs.admin.deletion import deletion_summary
from jobs.admin.display import ago, status_badge, unavailable_badge
from jobs.admin.forms import ARG_PREFIX, job_form_class, run_now_form_class, schema_fields
from jobs.admin.job_charts import job_monitoring_context
from jobs.admin.schedule import ScheduleAdminMixin
from jobs.admin.submit import active_run_for, run_created_message, run_token_for, run_token_from
from jobs.arguments import run_arguments_build
from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable, RunOverlaps
from jobs.models import Job, Run, attach_last_run
from jobs.registry import registry
from jobs.runs.manual import run_manual_create
from jobs.services import JOB_SETTINGS, job_create, job_update

# Everything but the main fields, which sit at the top of the form.
RUN_CONTROL_FIELDS = tuple(name for name in JOB_SETTINGS if name not in ("description", "queue", "active"))


class TaskTypeFilter(admin.SimpleListFilter):
    title = "job type"
    parameter_name = "task_type"

    def lookups(self, request, model_admin):
        installed = registry.choices()
        known = {type_id for type_id, _ in installed}
        stored = Job.objects.order_by().values_list("task_type", flat=True).distinct()
        missing = [(t, f"{t} (unavailable)") for t in sorted(set(stored) - known)]
        return [*installed, *missing]

    def queryset(self, request, queryset):
        return queryset.filter(task_type=self.value()) if self.value() else queryset


class LastStatusFilter(admin.SimpleListFilter):
    title = "last run status"
    parameter_name = "last_status"
    NEVER = "never"

    def lookups(self, request, model_admin):
        return [*Run.Status.choices, (self.NEVER, "Never run")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.NEVER:
            return queryset.filter(last_run_id__isnull=True)
        newest = Run.objects.newest_for(OuterRef("pk")).values("status")[:1]
        return queryset.annotate(last_status=Subquery(newest)).filter(last_status=value)


class JobChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.result_list = attach_last_run(self.result_list)


class JobAdmin(ScheduleAdminMixin, admin.ModelAdmin):
    list_display = ["title", "type_display", "active", "schedule_display", "last_run_display", "run_count_display"]
    list_filter = [TaskTypeFilter, "active", LastStatusFilter]
    search_fields = ["title", "description", "task_type"]
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER
    change_form_template = "admin/jobs/job/change_form.html"

    class Media:
        css = {"all": ["jobs/jobs.css"]}
        js = ["jobs/job_form.js"]

    def get_deleted_objects(self, objs, request):
        return deletion_summary(objs, request, self.admin_site)

    # --- list ---------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).with_run_stats()

    def get_changelist(self, request, **kwargs):
        return JobChangeList

    @admin.display(description="type", ordering="task_type")
    def type_display(self, job):
        registered = job.registered_task
        if registered is None:
            return format_html("{} <code>{}</code>", unavailable_badge(), job.task_type)
        return registered.title or job.task_type

    @admin.display(description="last run", ordering="last_run_id")
    def last_run_display(self, job):
        run = job.last_run
        if run is None:
            return "never"
        url = reverse("admin:jobs_run_change", args=[run.pk])
        return format_html('<a href="{}">{}</a> <span class="jobs-muted">{}</span>', url, status_badge(run.status), ago(run.created_at))

    @admin.display(description="runs", ordering="run_count")
    def run_count_display(self, job):
        url = reverse("admin:jobs_run_changelist") + f"?job={job.pk}"
        return format_html('<a href="{}">{}</a>', url, job.run_count)

    # --- add / change -------------------------------------------------------------

    def _task_type(self, request, obj=None) -> str | None:
        if obj is not None:
            return obj.task_type if obj.available else None
        source = request.POST if request.method == "POST" else request.GET
        value = source.get("task_type") or None
        return value if value in registry else None

    def get_fieldsets(self, request, obj=None):
        task_type = self._task_type(request, obj)
        main = ["title", "task_type" if obj is None else "type_display", "description", "active", "queue"]
        if obj is not None and not (obj.available and self.has_change_permission(request, obj)):
            arguments = ["default_args_display"]
        else:
            arguments = [ARG_PREFIX + name for name in schema_fields(task_type)] if task_type else []
        fieldsets = [(None, {"fields": main})]
        if arguments:
            fieldsets.append(("Default arguments", {"fields": arguments}))
        if obj is not None:
            fieldsets.append(("Schedule", {"fields": ["schedule_detail"]}))
        fieldsets.append(
            (
                "Run control",
                {"fields": list(RUN_CONTROL_FIELDS), "classes": ["collapse"],
                 "description": "Overlap, missed runs, time limits, retries and notifications."},
            )
        )
        if obj is not None:
            fieldsets.append(("Record", {"fields": ["created_at", "updated_at", "created_by"], "classes": ["collapse"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["type_display", "schedule_detail", "created_at", "updated_at", "created_by"]
        if not (obj.available and self.has_change_permission(request, obj)):
            fields.append("default_args_display")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = job_form_class(
            self._task_type(request, obj), adding=obj is None, initial_args=obj.default_args if obj else None
        )
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description="default arguments")
    def default_args_display(self, job):
        return format_html('<pre class="jobs-json">{}</pre>', json.dumps(job.default_args, indent=2, ensure_ascii=False))

    def add_view(self, request, form_url="", extra_context=None):
        if request.method != "POST" and self._task_type(request) is None:
            asked = request.GET.get("task_type")
            if asked:
                messages.warning(request, f"Job type {asked!r} is not installed: choose one of the installed types.")
            return self.choose_type_view(request)
        return super().add_view(request, form_url, extra_context)

    def choose_type_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied("Adding a job needs the permission “Can add job” (jobs.add_job).")
        types = [
            {"id": type_id, "title": cls.title or type_id, "description": cls.description or (cls.__doc__ or "").strip()}
            for type_id, cls in sorted(registry.types.items(), key=lambda item: (item[1].title or item[0]).lower())
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Add job: choose its type",
            "types": types,
            "problems": registry.problems,
        }
        return TemplateResponse(request, "admin/jobs/job/choose_type.html", context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        settings = {name: data[name] for name in JOB_SETTINGS if name in data}
        if change:
            default_args = form.default_args if obj.available else None
            job_update(job=obj, default_args=default_args, title=data["title"], **settings)
            return
        job = job_create(
            title=data["title"], task_type=data["task_type"], default_args=form.default_args, user=request.user, **settings
        )
        obj.pk = job.pk
        obj.__dict__.update({f.attname: getattr(job, f.attname) for f in Job._meta.concrete_fields})
        obj._state.adding = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        extra = {"can_run": False, "recent_runs": []}
        if job is not None:
            extra["can_run"] = job.available and self.has_run_permission(request)
            extra["recent_runs"] = list(Run.objects.newest_for(job)[:10])
            extra["runs_url"] = reverse("admin:jobs_run_changelist") + f"?job={job.pk}"
            extra["job_obj"] = job
            extra.update(job_monitoring_context(job))
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    # --- run now ------------------------------------------------------------------

    def has_run_permission(self, request):
        return request.user.has_perm("jobs.run_job")

    def get_urls(self):
        urls = super().get_urls()
        run = path("<path:object_id>/run/", self.admin_site.admin_view(self.run_view), name="jobs_job_run")
        return [run, *urls]

    def run_view(self, request, object_id):
        if not (self.has_run_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied("Running a job needs the permissions “Can run jobs” (jobs.run_job) and “Can view job”.")
        job = self.get_object(request, unquote(object_id))
        if job is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:jobs_job_change", args=[job.pk])
        if not job.available:
            messages.error(request, f"This job cannot be run: its type {job.task_type!r} is not installed.")
            return HttpResponseRedirect(change_url)
        form_class = run_now_form_class(job)
        preview, preview_error = None, ""
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                preview = form.build()
                if preview is not None and "_preview" not in request.POST:
                    try:
                        # The previewed arguments are stored as they are: validated and built once.
                        run, created = run_manual_create(
                            request_token=run_token_from(request), run_anyway="_run_anyway" in request.POST,
                            job=job, task_args=preview, trigger=Run.Trigger.ADMIN, user=request.user,
                        )
                    except (ArgumentsInvalid, JobTypeUnavailable, RunOverlaps) as exc:
                        form.add_error(None, str(exc))
                    else:
                        if created:
                            self.log_change(request, job, f"Ran job: run {run.pk}")
                        run_created_message(request, run, job, created=created)
                        return HttpResponseRedirect(reverse("admin:jobs_run_change", args=[run.pk]))
        else:
            form = form_class()
            try:
                preview = run_arguments_build(job=job)
            except ArgumentsInvalid as exc:
                preview_error = str(exc)
        fieldsets = []
        if form.argument_names:
            fieldsets.append((None, {"fields": form.argument_field_names()}))
        fieldsets.append(("Advanced: arguments as JSON", {"fields": ["override"], "classes": ["collapse"]}))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "title": f"Run {job}",
            "adminform": helpers.AdminForm(form, fieldsets, {}, model_admin=self),
            "form": form,
            "errors": helpers.AdminErrorList(form, []),
            "preview": json.dumps(preview, indent=2, ensure_ascii=False) if preview is not None else None,
            "preview_error": preview_error,
            "change_url": change_url,
            "media": self.media + form.media,
            "run_token": run_token_for(request),
            "active_run": active_run_for(job),
        }
        return TemplateResponse(request, "admin/jobs/job/run_now.html", context)
