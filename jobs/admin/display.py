"""Small HTML fragments shared by the job and run pages (badges, "ago"); durations: ``jobs.durations``."""

from __future__ import annotations

import datetime as dt

from django.utils.html import format_html
from django.utils.timesince import timesince

from jobs.models import Run


def status_badge(status: str, label: str | None = None):
    if label is None:
        label = Run.Status(status).label if status in Run.Status.values else status
    return format_html('<span class="jobs-badge jobs-status-{}" data-status="{}">{}</span>', status, status, label)


def unavailable_badge():
    return format_html('<span class="jobs-badge jobs-unavailable" title="{}">unavailable</span>', "This job type is not installed.")


def ago(when: dt.datetime | None) -> str:
    return f"{timesince(when).split(',')[0]} ago" if when else "-"
