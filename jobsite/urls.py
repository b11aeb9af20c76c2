"""The site's URLs: the admin (branded "Jobsite administration", its modules discovered here), its Health page, its error pages, /healthz and /metrics."""

from django.contrib import admin
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from jobs.admin.health import health_view
from jobs.api.errors import json_under_api
from jobs.metrics.views import metrics_view
from jobsite import errors


def healthz(request):
    """Liveness for the container health check: the process answers and reaches its database."""
    connection.ensure_connection()
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "Jobsite administration"
admin.site.site_title = "Jobsite administration"  # the browser tab: "Change job | Jobsite administration"
admin.site.index_title = "Site administration"
# The admin's modules are imported here, not at start-up (SimpleAdminConfig in settings).
admin.autodiscover()

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before admin.site.urls, whose app_list pattern would take "jobs/health/" for a model page.
    path("admin/jobs/health/", admin.site.admin_view(health_view), name="jobs_health"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("jobs.api.urls")),
    path("api/v1/", include("exports.api")),
    path("metrics", metrics_view, name="metrics"),
]

# Under /api/ every error is the API's JSON shape (jobs.api.errors); elsewhere the admin-styled pages.
handler403 = json_under_api(errors.permission_denied, status_code=403)
handler404 = json_under_api(errors.page_not_found, status_code=404)
handler500 = json_under_api(errors.server_error, status_code=500)
