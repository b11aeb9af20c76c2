"""Small HTML fragments shared by the job and run pages (badges, durations)."""

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


def duration_text(value: dt.timedelta | None) -> str:
    """Return ``value`` as "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min"."""
    if value is None:
        return "-"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def ago(when: dt.datetime | None) -> str:
    return f"{timesince(when).split(',')[0]} ago" if when else "-"
