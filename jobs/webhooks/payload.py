"""The body a webhook sends (the run as JSON plus a chat ``text``) and its signature; pure functions."""

from __future__ import annotations

import hashlib
import hmac
import json

from jobs.models import Run

SIGNATURE_HEADER = "X-Jobsite-Signature"
EVENT = "run.ended"
STATUS_ICONS = {
    "success": "✅", "partial_success": "🟡", "failed": "❌", "cancelled": "⏹️", "skipped": "⏭️",
}


def _time(value):
    return value.isoformat() if value else None


def run_json(run: Run, *, url: str) -> dict:
    """The run resource: ids, job, status, trigger, times, arguments, progress, counters, message."""
    duration = run.duration if run.started_at else None
    return {
        "id": run.pk,
        "url": url,
        "job": {"id": run.job_id, "title": run.job.title, "type": run.job.task_type},
        "status": run.status,
        "trigger": run.trigger,
        "attempt": run.attempt,
        "retry_of": run.retry_of_id,
        "created_at": _time(run.created_at),
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "due_at": _time(run.due_at),
        "duration_seconds": round(duration.total_seconds(), 3) if duration is not None else None,
        "arguments": run.args,
        "progress": {"done": run.progress_done, "total": run.progress_total},
        "counters": run.counters,
        "errored_entries": len(run.errors or []),
        "message": run.message,
        "host": run.host,
    }


def chat_text(run: Run, *, url: str) -> str:
    """One line for Slack / Teams incoming webhooks, which show the ``text`` field."""
    icon = STATUS_ICONS.get(run.status, "")
    duration = f" in {run.duration.total_seconds():.1f} s" if run.started_at and run.finished_at else ""
    message = f": {run.message[:200]}" if run.message else ""
    return f"{icon} {run.job.title}: run {run.pk} {run.get_status_display().lower()}{duration}{message} <{url}>".strip()


def body_build(run: Run, *, url: str) -> str:
    """The JSON body: ``{"event", "text", "run"}``, keys sorted so the bytes are reproducible."""
    return json.dumps(
        {"event": EVENT, "text": chat_text(run, url=url), "run": run_json(run, url=url)},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`` (GitHub's convention)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
