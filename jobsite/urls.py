"""The site's URLs: the admin (its modules discovered here) and a redirect to it."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

# The admin's modules are imported here, not at start-up (SimpleAdminConfig in settings).
admin.autodiscover()

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
