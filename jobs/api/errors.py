"""One JSON error shape for every API answer: ``{"status", "code", "message", "errors"}``.

``api_exception_handler`` is DRF's exception handler (it also turns the job system's
exceptions and Django's ``ValidationError`` into 400/409 answers); ``json_under_api``
wraps the site's 403/404/500 handlers so that under /api/ they answer JSON too.
``errors`` maps a field to its messages (``{}`` when the error is not a field's).
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from jobs.exceptions import ArgumentsInvalid, JobBusy, JobTypeUnavailable, RunNotCancellable, ScheduleInvalid

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def error_body(status_code: int, code: str, message: str, errors: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "message": message, "errors": errors or {}}


def _translate(exc):
    """The job system's and Django's exceptions as DRF's, with field errors where there are some."""
    if isinstance(exc, ArgumentsInvalid):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return exceptions.ValidationError({"args": messages})
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    if isinstance(exc, ScheduleInvalid):
        return exceptions.ValidationError({"schedule": [str(exc)]})
    if isinstance(exc, JobTypeUnavailable):
        return Conflict(f"{exc}.", code="job_type_unavailable")
    if isinstance(exc, JobBusy):
        return Conflict(f"{exc}.", code="job_busy")
    if isinstance(exc, RunNotCancellable):
        return Conflict(f"{exc}.", code="run_not_cancellable")
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _field_errors(detail) -> dict:
    """DRF's nested ``ErrorDetail`` structure as plain JSON (strings, lists, dicts)."""
    if isinstance(detail, dict):
        return {str(key): _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_errors(item) for item in detail]
    return str(detail)


def _first_code(detail) -> str:
    if isinstance(detail, dict):
        return _first_code(next(iter(detail.values()), "invalid"))
    if isinstance(detail, list):
        return _first_code(detail[0]) if detail else "invalid"
    return getattr(detail, "code", None) or "invalid"


def api_exception_handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handler answers (JSON under /api/)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(detail if isinstance(detail, dict) else {"non_field_errors": detail})
        body = error_body(response.status_code, "invalid", "The request has invalid fields.", errors)
    else:
        code = _first_code(detail)
        message = str(detail) if not isinstance(detail, (dict, list)) else "The request cannot be completed."
        body = error_body(response.status_code, code, message)
    response.data = body
    return response


API_ERRORS = {
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "No such resource."),
    500: ("server_error", "The server failed; the error was logged."),
}


def json_under_api(fallback, *, status_code: int):
    """The site's error handler ``fallback`` (403, 404 or 500), answering the API's JSON shape under /api/."""
    code, message = API_ERRORS[status_code]

    @functools.wraps(fallback)
    def handler(request, *args, **kwargs):
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body(status_code, code, message), status=status_code)
        return fallback(request, *args, **kwargs)

    return handler
