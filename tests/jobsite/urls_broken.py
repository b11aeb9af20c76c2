"""The site's URLs and error handlers plus one view that fails, for the 500 page's test."""

from django.urls import path

from jobsite.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401 - the handlers under test


def broken(request):
    raise RuntimeError("a failure the visitor must not see")


urlpatterns = [*urlpatterns, path("broken/", broken)]
