"""URLs of the API, mounted at /api/v1/ by jobsite/urls.py (export files are added by exports/api.py)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from jobs.api.views import jobs, jobtypes, logs, runs

urlpatterns = [
    path("job-types/", jobtypes.JobTypeListView.as_view(), name="api-job-types"),
    path("job-types/<str:type_id>/", jobtypes.JobTypeDetailView.as_view(), name="api-job-type"),
    path("jobs/", jobs.JobListView.as_view(), name="api-jobs"),
    path("jobs/<int:pk>/", jobs.JobDetailView.as_view(), name="api-job"),
    path("jobs/<int:pk>/schedule/", jobs.JobScheduleView.as_view(), name="api-job-schedule"),
    path("jobs/<int:pk>/runs/", runs.JobRunsView.as_view(), name="api-job-runs"),
    path("runs/", runs.RunListView.as_view(), name="api-runs"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="api-run"),
    path("runs/<int:pk>/cancel/", runs.RunCancelView.as_view(), name="api-run-cancel"),
    path("runs/<int:pk>/rerun/", runs.RunRerunView.as_view(), name="api-run-rerun"),
    path("runs/<int:pk>/logs/", logs.RunLogView.as_view(), name="api-run-logs"),
    path("runs/<int:pk>/logs/download/", logs.RunLogDownloadView.as_view(), name="api-run-logs-download"),
    path("runs/<int:pk>/logs/follow/", logs.RunLogFollowView.as_view(), name="api-run-logs-follow"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", staff_member_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]
