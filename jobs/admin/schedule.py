"""The schedule on the job admin: a list column, a read-only summary and an edit page.

``ScheduleAdminMixin`` goes before ``admin.ModelAdmin`` in the job admin's bases; add
``"schedule_display"`` to ``list_display`` and ``"schedule_detail"`` to the change
form's fields (read-only). The edit page (``<id>/schedule/``) uses
``jobs.admin.schedule_forms.ScheduleForm`` and needs the change permission; every
edit is recorded in the job's admin history (before and after, in words).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from jobs.admin.schedule_forms import ScheduleForm
from jobs.scheduling.store import schedule_describe, schedule_next_fire_times

SCHEDULE_RELATED = ("periodic_task", "periodic_task__interval", "periodic_task__crontab", "periodic_task__clocked")


class ScheduleAdminMixin:
    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*SCHEDULE_RELATED)

    @admin.display(description="schedule")
    def schedule_display(self, job):
        nxt = schedule_next_fire_times(job, 1)
        words = schedule_describe(job)
        if not nxt:
            return words
        return format_html('{}<br><span class="jobs-muted">next {}</span>', words, nxt[0].strftime("%Y-%m-%d %H:%M %Z"))

    @admin.display(description="schedule")
    def schedule_detail(self, job):
        if job is None or job.pk is None:
            return "Set it after saving the job."
        times = schedule_next_fire_times(job, 5)
        url = reverse("admin:jobs_job_schedule", args=[job.pk])
        listing = format_html_join("", "<li>{}</li>", ((t.strftime("%a %Y-%m-%d %H:%M %Z"),) for t in times))
        return format_html(
            '<strong>{}</strong>{}<p><a href="{}" class="button">Edit schedule</a></p>',
            schedule_describe(job),
            format_html("<br>Next due times:<ul>{}</ul>", listing) if times else "",
            url,
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.schedule_view)
        return [path("<path:object_id>/schedule/", view, name="jobs_job_schedule"), *super().get_urls()]

    def schedule_view(self, request, object_id):
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("no such job")
        if not self.has_change_permission(request, job):
            raise PermissionDenied("Editing a job's schedule needs the permission “Can change job” (jobs.change_job).")
        change_url = reverse("admin:jobs_job_change", args=[job.pk])
        if request.method == "POST":
            form = ScheduleForm(request.POST, job=job)
            if form.is_valid():
                before = schedule_describe(job)
                job = form.save(job)
                self.log_change(request, job, f"Changed schedule: {before} → {schedule_describe(job)}")
                self.message_user(request, f"Schedule of “{job}”: {schedule_describe(job)}.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        else:
            form = ScheduleForm(job=job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": job,
            "title": f"Schedule of {job}",
            "form": form,
            "change_url": change_url,
            "describe": schedule_describe(job),
            "next_times": schedule_next_fire_times(job, 5),
        }
        return TemplateResponse(request, "admin/jobs/job/schedule.html", context)
