"""The admin's model permissions, per action: viewers read, operators run and cancel."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class ActionPermission(BasePermission):
    """Require ``view.required_perms[method]`` (a tuple of ``app.codename``); 401 for anonymous users.

    A view declares e.g. ``required_perms = {"GET": ("jobs.view_run",), "POST": ("jobs.run_job",)}``;
    a method it does not name is refused.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 Method Not Allowed
        perms = view.required_perms.get(request.method)
        if perms is None and request.method in ("HEAD", "OPTIONS"):
            perms = view.required_perms.get("GET")
        return perms is not None and user.has_perms(perms)
