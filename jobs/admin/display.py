"""Small HTML fragments shared by the job and run pages (badges, "ago"); durations: ``jobs.durations``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from jobs.models import Run


def status_badge(status: str, label: str | None = None):
    if label is None:
        label = Run.Status(status).label if status in Run.Status.values else status
    return format_html('<span class="jobs-badge jobs-status-{}" data-status="{}">{}</span>', status, status, label)


def unavailable_badge():
    return format_html('<span class="jobs-badge jobs-unavailable" title="{}">unavailable</span>', "This job type is not installed.")


def ago(when: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """"3 hours ago", "just now" under a minute (not "0 minutes ago"), "-" for no time."""
    if not when:
        return "-"
    now = now or timezone.now()
    if (now - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when, now).split(',')[0]} ago"


def time_text(value: dt.datetime | None, *, empty: str = "-") -> str:
    """A moment in local time with seconds, "2026-12-01 22:15:03" (the CLI's format); runs last seconds."""
    if value is None:
        return empty
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M:%S")


def type_badge(type_id: str, title: str):
    """A job type as its id (what ``manage.py jobs`` and the filters use), its title on hover."""
    return format_html('<code class="jobs-type" title="{}">{}</code>', title or type_id, type_id)
