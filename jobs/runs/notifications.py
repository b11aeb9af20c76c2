"""E-mail about ended runs: per-job recipients and statuses, and a "slow run" alert.

A failed run with a retry still to come sends nothing; the last attempt decides.
A run is slow when it took longer than ``Job.slow_factor`` times the median duration
of the job's last ten successes. Each e-mail is a text body with an HTML alternative,
rendered from ``jobs/email/run_ended.*`` or ``jobs/email/run_slow.*`` (a project's own
``templates/`` folder can override them by name).
"""

from __future__ import annotations

import logging
import re
import statistics

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from jobs.durations import duration_text
from jobs.models import Job, Run

logger = logging.getLogger(__name__)
SLOW_SAMPLE = 10


def notify_recipients(job: Job) -> list[str]:
    return [address for address in re.split(r"[\s,;]+", job.notify_emails or "") if address]


def slow_threshold(run: Run) -> float | None:
    """Seconds beyond which ``run`` counts as slow (None without a factor or earlier successes)."""
    job = run.job
    if not job.slow_factor:
        return None
    spans = (
        Run.objects.filter(job=job, status=Run.Status.SUCCESS, started_at__isnull=False, finished_at__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .values_list("started_at", "finished_at")[:SLOW_SAMPLE]
    )
    durations = [(end - start).total_seconds() for start, end in spans]
    if not durations:
        return None
    return job.slow_factor * statistics.median(durations)


def run_notify(*, run: Run, retrying: bool = False) -> list[str]:
    """Send the e-mails ``run``'s end calls for; return their subjects."""
    job = run.job
    recipients = notify_recipients(job)
    if not recipients:
        return []
    subjects = []
    if run.status in (job.notify_on or []) and not retrying:
        subjects.append(_send(run, recipients, run.get_status_display(), "run_ended", detail=run.message or ""))
    if run.slow_notified_at is None:
        subjects += slow_notify(run=run, recipients=recipients)
    return subjects


def slow_notify(*, run: Run, recipients: list[str] | None = None) -> list[str]:
    """Alert once when ``run`` (ended or still running) has taken longer than the job allows."""
    job = run.job
    recipients = notify_recipients(job) if recipients is None else recipients
    threshold = slow_threshold(run) if recipients else None
    if threshold is None or run.duration is None or run.duration.total_seconds() <= threshold:
        return []
    if not Run.objects.filter(pk=run.pk, slow_notified_at__isnull=True).update(slow_notified_at=timezone.now()):
        return []
    verb = "has been running for" if run.is_active else "took"
    detail = (
        f"The run {verb} {duration_text(run.duration)}, more than {job.slow_factor:g} x the median of the last "
        f"{SLOW_SAMPLE} successes ({duration_text(threshold)})."
    )
    return [_send(run, recipients, "slow", "run_slow", detail=detail)]


def slow_runs_notify() -> int:
    """Alert about runs still running past their job's slow threshold (called by the reaper)."""
    sent = 0
    running = Run.objects.filter(
        status=Run.Status.RUNNING, slow_notified_at__isnull=True, job__slow_factor__isnull=False
    ).exclude(job__notify_emails="").select_related("job")
    for run in running:
        sent += len(slow_notify(run=run))
    return sent


def run_url(run: Run) -> str:
    """The run's admin page, absolute (``JOBSITE_BASE_URL``), for a reader outside the site."""
    return settings.JOBSITE_BASE_URL + reverse("admin:jobs_run_change", args=[run.pk])


def _send(run: Run, recipients: list[str], what: str, template: str, **context) -> str:
    """Render ``jobs/email/<template>.txt`` and ``.html`` about ``run`` and send them as one e-mail."""
    subject = f"[Jobsite] {run.job.title}: run {run.pk} {what}"
    context = {"run": run, "job": run.job, "what": what, "subject": subject, "run_url": run_url(run), **context}
    message = EmailMultiAlternatives(
        subject, render_to_string(f"jobs/email/{template}.txt", context), settings.DEFAULT_FROM_EMAIL, recipients
    )
    message.attach_alternative(render_to_string(f"jobs/email/{template}.html", context), "text/html")
    message.send()
    logger.info("run_notified run_id=%s what=%s recipients=%s", run.pk, what, len(recipients))
    return subject
