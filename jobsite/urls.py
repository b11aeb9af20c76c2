"""The site's URLs: the admin, and /healthz for the container health check."""

from django.contrib import admin
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.generic import RedirectView


def healthz(request):
    """Liveness for the container health check: the process answers and reaches its database."""
    connection.ensure_connection()
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
