"""The one way amounts and progress are written for people: run page, run list and ``manage.py jobs``.

A job type says what its progress counts with ``RegisteredTask.progress_unit``: "bytes"
(shown as "8.7 MB", decimal units as file managers show them) or a noun such as
"records" (shown as "15,000 records"). ``progress_text`` adds the percentage, records
read (the sum of the record counters, for a job whose progress counts bytes), the rate
and, while the run is active, an estimate of the time left:
"8.7 MB of 26.2 MB (33.3%) · 12,000 records read · 1.2 MB/s · about 15 s left".
Durations come from ``jobs.durations``; the live run page gets this text from the
status JSON, so there is no second formatter in JavaScript.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jobs.durations import duration_text

BYTES = "bytes"
DEFAULT_UNIT = "records"
SIZE_STEPS = (("GB", 10**9), ("MB", 10**6), ("kB", 10**3))
# The counters that each count records read, for "N records read" next to a byte progress.
RECORD_COUNTERS = ("created", "updated", "unchanged", "skipped", "errored")


def size_text(n: int | float) -> str:
    """Bytes as "850 B", "12.4 kB", "8.7 MB" or "1.25 GB"."""
    for name, factor in SIZE_STEPS:
        if abs(n) >= factor:
            value = n / factor
            return f"{value:.2f} {name}" if name == "GB" else f"{value:.1f} {name}"
    return f"{n:.0f} B"


def amount_text(n: int | float, unit: str = DEFAULT_UNIT) -> str:
    """``n`` of ``unit``: "8.7 MB" for bytes, "15,000 records" otherwise."""
    if unit == BYTES:
        return size_text(n)
    return f"{n:,.0f} {unit}"


def done_of_total_text(done: int | None, total: int | None, unit: str = DEFAULT_UNIT) -> str:
    """"15,000 of 60,000 records", "8.7 MB of 26.2 MB", "15,000 records" without a total; "" for none."""
    if not done and not total:
        return ""
    done = done or 0
    if not total:
        return amount_text(done, unit)
    if unit == BYTES:
        return f"{size_text(done)} of {size_text(total)}"
    return f"{done:,} of {total:,} {unit}"


def rate_text(amount: float, seconds: float, unit: str = DEFAULT_UNIT) -> str:
    """"1.2 MB/s" or "350 records/s"; "" when no time has passed."""
    if seconds <= 0:
        return ""
    per_second = amount / seconds
    if unit == BYTES:
        return f"{size_text(per_second)}/s"
    shown = f"{per_second:,.1f}" if per_second < 10 else f"{per_second:,.0f}"
    return f"{shown} {unit}/s"


def eta_seconds(done: int, total: int, seconds: float) -> float | None:
    """Seconds left at the average rate so far; None when that cannot be told yet."""
    if not total or done <= 0 or seconds <= 0 or done >= total:
        return None
    return (total - done) * seconds / done


def records_read(counters: dict | None) -> int | None:
    values = [v for k, v in (counters or {}).items() if k in RECORD_COUNTERS and isinstance(v, int)]
    return sum(values) if values else None


def progress_text(
    done: int | None, total: int | None, *, unit: str = DEFAULT_UNIT, elapsed: float | None = None,
    active: bool = False, counters: dict | None = None,
) -> str:
    """The whole progress line (see the module's docstring); "" for a run that reports no progress."""
    head = done_of_total_text(done, total, unit)
    if not head:
        return ""
    parts = [head + (f" ({min(100.0, 100.0 * (done or 0) / total):.1f}%)" if total else "")]
    if unit == BYTES and (read := records_read(counters)) is not None:
        parts.append(f"{read:,} records read")
    if elapsed and done:
        parts.append(rate_text(done, elapsed, unit))
        if active and (left := eta_seconds(done, total or 0, elapsed)) is not None:
            parts.append(f"about {duration_text(left)} left")
    return " · ".join(parts)


def run_unit(run) -> str:
    """The progress unit of the run's job type (the default when its type is not installed)."""
    registered = getattr(run.job, "registered_task", None)
    return getattr(registered, "progress_unit", None) or DEFAULT_UNIT


def run_progress_text(run, *, now: dt.datetime | None = None, with_counters: bool = True) -> str:
    """``progress_text`` for a run (its unit, time so far, counters unless ``with_counters`` is false).

    A list that defers the runs' counters passes ``with_counters=False`` (no query per row).
    """
    elapsed = None
    if run.started_at is not None:
        end = run.finished_at or now or timezone.now()
        elapsed = max(0.0, (end - run.started_at).total_seconds())
    return progress_text(
        run.progress_done, run.progress_total, unit=run_unit(run), elapsed=elapsed,
        active=run.is_active, counters=run.counters if with_counters else None,
    )
