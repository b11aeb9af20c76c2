"""The Run now form's one-time token and what the operator is told after a submission.

Each rendering of the form carries a fresh random token; the run it creates stores it
(``Run.request_token``, unique), so a resubmitted POST (a retry after an error page, a
double click) returns the first run instead of creating another. While a run of the job
is active the page says so and offers "Run anyway" (``jobs.runs.manual``).
"""

from __future__ import annotations

import re
import secrets

from django.contrib import messages

from jobs.models import Job, Run
from jobs.runs.dispatch import WAITING_FOR_BROKER

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def run_token_for(request) -> str:
    """The token to render: the submitted one while the same form is shown again, else a new one."""
    return run_token_from(request) or secrets.token_hex(16)


def run_token_from(request) -> str | None:
    """The submitted token, when it has the shape this module gives out."""
    token = request.POST.get("run_token", "") if request.method == "POST" else ""
    return token if _TOKEN.match(token) else None


def active_run_for(job: Job) -> Run | None:
    """The job's oldest active run, which the Run now page warns about (and offers "Run anyway")."""
    return Run.objects.active().filter(job=job, held=False).order_by("created_at", "pk").first()


def run_created_message(request, run, job, *, created: bool):
    """Tell the operator what happened to the run they asked for."""
    if not created:
        messages.info(request, f"This form was already submitted: it created run {run.pk} of {job}; no other run was started.")
    elif run.message == WAITING_FOR_BROKER:
        messages.warning(
            request,
            f"Run {run.pk} of {job} is stored and queued, but the message broker cannot be reached: "
            "it will be sent as soon as the broker is back.",
        )
    else:
        messages.success(request, f"Run {run.pk} of {job} queued.")
