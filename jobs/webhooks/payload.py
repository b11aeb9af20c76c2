"""The body a webhook sends (the run as JSON plus a chat ``text``) and its signature; pure functions."""

from __future__ import annotations

import hashlib
import hmac
import json

from jobs.models import Run
from jobs.runs.resource import RUN_DETAIL_FIELDS, run_resource

SIGNATURE_HEADER = "X-Jobsite-Signature"
EVENT = "run.ended"
STATUS_ICONS = {
    "success": "✅", "partial_success": "🟡", "failed": "❌", "cancelled": "⏹️", "skipped": "⏭️",
}


def run_json(run: Run, *, url: str) -> dict:
    """The API's run resource (``jobs.runs.resource``) with counters, errored entries, arguments,
    due time and host of the detail resource, the job's type and the run page's ``url``."""
    return {**run_resource(run, detail=RUN_DETAIL_FIELDS), "job_type": run.job.task_type, "url": url}


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
