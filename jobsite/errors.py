"""The site's 403, 404 and 500 pages, in the admin's look (wired as handlers in ``jobsite.urls``).

403 and 404 pages get the admin's own context (header, user links, the apps in the side bar),
and the 403 page says why: the message its ``PermissionDenied`` was raised with. The 500 page
needs neither the request nor the database: it is rendered from the site's name alone.
"""

from urllib.parse import quote

from django.contrib import admin
from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _admin_page(request, template_name: str, **context) -> str:
    return loader.render_to_string(template_name, {**admin.site.each_context(request), **context}, request)


@requires_csrf_token
def permission_denied(request, exception):
    """403: the page names what the user may not do (the exception's message)."""
    body = _admin_page(request, "403.html", title="Permission denied", exception=str(exception))
    return HttpResponseForbidden(body)


@requires_csrf_token
def page_not_found(request, exception):
    """404: the path, and the exception's message when it has a readable one (not the resolver's dict)."""
    message = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    body = _admin_page(request, "404.html", title="Page not found", request_path=quote(request.path),
                       exception=message)
    return HttpResponseNotFound(body)


def server_error(request):
    """500: no request context and no query, only the site's name, so it renders when the database is down."""
    context = {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
    return HttpResponseServerError(loader.render_to_string("500.html", context))
