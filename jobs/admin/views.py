"""What the run page shows and polls: log pages (keyset by seq), run state as JSON, log download.

The admin wires these under /admin/jobs/run/<id>/... (``RunAdmin.get_urls``) after its
own permission checks; here they only read.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.http import JsonResponse, StreamingHttpResponse

from jobs.admin.display import time_text
from jobs.durations import duration_text
from jobs.models import Run, RunLog
from jobs.units import run_progress_text

LOG_PAGE_SIZE = 200
LOG_POLL_LIMIT = 500
LOG_DOWNLOAD_CHUNK = 5000
LEVELS = [("", "All levels"), ("10", "Debug and up"), ("20", "Info and up"), ("30", "Warning and up"), ("40", "Error and up")]


@dataclass
class LogFilter:
    level: int | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params, prefix="") -> LogFilter:
        level = params.get(f"{prefix}level") or ""
        return cls(level=int(level) if level.isdigit() else None, q=(params.get(f"{prefix}q") or "").strip()[:200])

    def apply(self, queryset):
        if self.level:
            queryset = queryset.filter(level__gte=self.level)
        # Scans the run's lines: a trigram index on RunLog.message made inserting 1M
        # lines 5x slower (4 s -> 22 s on the admin_scale bench database).
        if self.q:
            queryset = queryset.filter(message__icontains=self.q)
        return queryset


@dataclass
class LogPage:
    lines: list = field(default_factory=list)
    has_older: bool = False
    has_newer: bool = False

    @property
    def first_seq(self):
        return self.lines[0].seq if self.lines else None

    @property
    def last_seq(self):
        return self.lines[-1].seq if self.lines else None

    @property
    def follows_tail(self) -> bool:
        """True when this page ends at the newest line, so polling may append new ones."""
        return not self.has_newer


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def log_page(run_id: int, flt: LogFilter, *, after=None, before=None, last=False, size=LOG_PAGE_SIZE) -> LogPage:
    """One page of a run's log lines: after seq ``after``, before seq ``before``, or the last page."""
    after, before = _int(after), _int(before)
    queryset = flt.apply(RunLog.objects.filter(run_id=run_id)).only("seq", "created_at", "level", "logger", "message")
    if before is not None or last:
        if before is not None:
            queryset = queryset.filter(seq__lt=before)
        rows = list(queryset.order_by("-seq")[: size + 1])
        page = LogPage(lines=rows[:size][::-1], has_older=len(rows) > size, has_newer=before is not None)
        return page
    if after is not None:
        queryset = queryset.filter(seq__gt=after)
    rows = list(queryset.order_by("seq")[: size + 1])
    return LogPage(lines=rows[:size], has_older=after is not None, has_newer=len(rows) > size)


def log_line_json(line: RunLog) -> dict:
    return {
        "seq": line.seq,
        "time": line.created_at.isoformat(timespec="milliseconds"),
        "level": logging.getLevelName(line.level),
        "levelno": line.level,
        "logger": line.logger,
        "message": line.message,
    }


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


def log_tail(run_id: int, flt: LogFilter, *, after: int, size: int = LOG_POLL_LIMIT) -> tuple[list, bool]:
    """The newest ``size`` lines after seq ``after``, and whether lines between were skipped."""
    queryset = flt.apply(RunLog.objects.filter(run_id=run_id, seq__gt=after))
    rows = list(queryset.only("seq", "created_at", "level", "logger", "message").order_by("-seq")[: size + 1])
    return rows[:size][::-1], len(rows) > size


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
    after = _int(params.get("after"))
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


def format_log_line(created_at, level, logger_name, message) -> str:
    return f"{created_at.isoformat(timespec='milliseconds')} {logging.getLevelName(level):<8} {logger_name}: {message}\n"


def run_logs_download(run: Run) -> StreamingHttpResponse:
    """Every log line of the run as text, streamed in keyset chunks (no OFFSET, no huge result)."""

    def lines():
        after = -1
        while True:
            chunk = list(
                RunLog.objects.filter(run_id=run.pk, seq__gt=after)
                .order_by("seq")
                .values_list("seq", "created_at", "level", "logger", "message")[:LOG_DOWNLOAD_CHUNK]
            )
            if not chunk:
                return
            yield "".join(format_log_line(*row[1:]) for row in chunk)
            after = chunk[-1][0]

    response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.log"'
    return response
