"""The site's URLs: the admin (branded "Jobsite administration"), its Health page, /metrics, error pages."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from jobs.admin.health import health_view
from jobs.metrics.views import metrics_view

admin.site.site_header = "Jobsite administration"
admin.site.site_title = "Jobsite administration"  # the browser tab: "Change job | Jobsite administration"
admin.site.index_title = "Site administration"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before admin.site.urls, whose app_list pattern would take "jobs/health/" for a model page.
    path("admin/jobs/health/", admin.site.admin_view(health_view), name="jobs_health"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
]

handler403 = "jobsite.errors.permission_denied"
handler404 = "jobsite.errors.page_not_found"
handler500 = "jobsite.errors.server_error"
