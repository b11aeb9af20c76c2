"""django-celery-beat's periodic task admin, with job schedules read-only and linked to their job.

A job's PeriodicTask is written only by ``jobs.scheduling``; editing it here would
bypass the job's bookkeeping, so its page is read-only and points to the job page.
Registered by ``jobs.admin`` (the admin's autodiscovery imports django-celery-beat's first).
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask


def _job_of(task):
    try:
        return task.job
    except PeriodicTask.job.RelatedObjectDoesNotExist:
        return None


class JobPeriodicTaskAdmin(PeriodicTaskAdmin):
    list_display = (*PeriodicTaskAdmin.list_display, "owning_job")

    @admin.display(description="job")
    def owning_job(self, obj):
        job = _job_of(obj)
        if job is None:
            return "-"
        try:
            url = reverse("admin:jobs_job_change", args=[job.pk])
        except NoReverseMatch:
            return str(job)
        return format_html('<a href="{}">{}</a>', url, job)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("job")

    def has_change_permission(self, request, obj=None):
        if obj is not None and _job_of(obj) is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and _job_of(obj) is not None:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        task = self.get_object(request, object_id)
        job = _job_of(task) if task is not None else None
        if job is not None:
            extra_context = {**(extra_context or {}), "subtitle": f"Read-only: the schedule of job “{job}”"}
            self.message_user(request, format_html(
                "This schedule belongs to the job {}; change it on the job's page.", self.owning_job(task)
            ))
        return super().change_view(request, object_id, form_url, extra_context)

    # Bulk actions leave job schedules alone (their state follows the job).
    @admin.action(description="Enable selected tasks (not job schedules)")
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, queryset.filter(job__isnull=True))

    @admin.action(description="Disable selected tasks (not job schedules)")
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, queryset.filter(job__isnull=True))

    @admin.action(description="Toggle activity of selected tasks (not job schedules)")
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, queryset.filter(job__isnull=True))

    @admin.action(description="Run selected tasks (not job schedules)")
    def run_tasks(self, request, queryset):
        return super().run_tasks(request, queryset.filter(job__isnull=True))

    def delete_queryset(self, request, queryset):
        return super().delete_queryset(request, queryset.filter(job__isnull=True))


def register():
    if admin.site.is_registered(PeriodicTask):
        if isinstance(admin.site._registry[PeriodicTask], JobPeriodicTaskAdmin):
            return
        admin.site.unregister(PeriodicTask)
    admin.site.register(PeriodicTask, JobPeriodicTaskAdmin)
