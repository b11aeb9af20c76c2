"""What the run page polls and downloads: run state as JSON with new log lines, the log as text.

Log lines are read through ``jobs.logs.selectors``.

The admin wires these under /admin/jobs/run/<id>/... (``RunAdmin.get_urls``) after its
own permission checks; here they only read.
"""

from __future__ import annotations

import hashlib

from django.http import JsonResponse, StreamingHttpResponse

from jobs.admin.display import time_text
from jobs.durations import duration_text
from jobs.logs.selectors import (
    LOG_POLL_LIMIT,
    LogFilter,
    format_log_line,
    log_chunks,
    log_line_json,
    log_page,
    log_tail,
    seq_parse,
)
from jobs.models import Run
from jobs.units import run_progress_text

LEVELS = [("", "All levels"), ("10", "Debug and up"), ("20", "Info and up"), ("30", "Warning and up"), ("40", "Error and up")]


def _shown(value) -> str:
    """A time as the run page's read-only fields show it (local time with seconds), or "-"."""
    return time_text(value)


def run_state(run: Run) -> dict:
    duration = run.duration
    return {
        "id": run.pk,
        "status": run.status,
        "status_display": run.get_status_display(),
        "active": run.is_active,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "progress_percent": run.progress_percent,
        "counters": run.counters or {},
        "message": run.message,
        "traceback": run.traceback,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": duration.total_seconds() if duration is not None else None,
        "duration_text": duration_text(duration),
        "errors_total": len(run.errors or []),
        "progress_text": run_progress_text(run),  # jobs.units: sizes, records read, rate, time left
        # The run page's read-only timing fields, so they do not stay "-" while the run goes on.
        "shown": {name: _shown(getattr(run, name)) for name in ("started_at", "finished_at", "heartbeat_at")},
    }


def texts_version(run: Run) -> str:
    """A short digest of the run's message and traceback: the page sends it back to skip them."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(run.message.encode("utf-8", "replace"))
    digest.update(b"\0")
    digest.update(run.traceback.encode("utf-8", "replace"))
    return digest.hexdigest()


def run_status_response(run: Run, params) -> JsonResponse:
    """The run's state and up to ``LOG_POLL_LIMIT`` log lines after ``after`` (matching the page's filter).

    With ``tail=1`` those are the newest lines: a page that follows a chatty run jumps
    ahead (``skipped_logs``) instead of fetching every line it could never show. With
    ``texts`` equal to the current ``texts_version`` the message and traceback are left out.
    """
    data = run_state(run)
    # The message and traceback (possibly large) go out only when they changed since the
    # version the page already has.
    data["texts"] = texts_version(run)
    if params.get("texts") == data["texts"]:
        del data["message"], data["traceback"]
    after = seq_parse(params.get("after"))
    if after is not None:
        flt = LogFilter.from_params(params)
        if params.get("tail") == "1":
            lines, skipped = log_tail(run.pk, flt, after=after)
            data["skipped_logs"], data["more_logs"] = skipped, False
        else:
            page = log_page(run.pk, flt, after=after, size=LOG_POLL_LIMIT)
            lines, data["more_logs"] = page.lines, page.has_newer
        data["logs"] = [log_line_json(line) for line in lines]
    return JsonResponse(data)


def run_logs_download(run: Run) -> StreamingHttpResponse:
    """Every log line of the run as text, streamed in keyset chunks (no OFFSET, no huge result)."""

    def lines():
        for rows in log_chunks(run.pk):
            yield "".join(format_log_line(*row[1:]) for row in rows)

    response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.log"'
    return response
