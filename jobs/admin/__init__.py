"""The job system's admin: jobs (with "Run now") and runs (with live logs); no RunLog list."""

from django.contrib import admin

from jobs.admin.beat import register as periodic_tasks_register
from jobs.admin.job import JobAdmin
from jobs.admin.run import RunAdmin
from jobs.models import Job, Run

admin.site.register(Job, JobAdmin)
# The site's index links to the jobs' Health page (this app's templates come after the admin's).
admin.site.index_template = "admin/jobs/index.html"
admin.site.register(Run, RunAdmin)
# Job schedules read-only in django-celery-beat's admin (autodiscovered before this app's).
periodic_tasks_register()

__all__ = ["JobAdmin", "RunAdmin"]
