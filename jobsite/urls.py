from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("jobs.api.urls")),
    path("api/v1/", include("exports.api")),
]
handler404 = "jobs.api.errors.not_found"  # JSON under /api/, Django's page elsewhere
handler500 = "jobs.api.errors.server_error"
