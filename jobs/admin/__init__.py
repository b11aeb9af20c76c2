"""The job system's admin: jobs (with "Run now") and runs (with live logs); no RunLog list."""

from django.contrib import admin

from jobs.admin.job import JobAdmin
from jobs.admin.run import RunAdmin
from jobs.models import Job, Run

admin.site.register(Job, JobAdmin)
admin.site.register(Run, RunAdmin)

__all__ = ["JobAdmin", "RunAdmin"]
