"""A run as plain JSON values: the API's run resource, shared by webhooks and ``jobs runs --json``.

``run_resource`` gives the fields of the HTTP API's run resource (``jobs.api.serializers.runs.
RunSerializer``) with the values the API renders (times in ISO 8601 with ``Z`` for UTC, as DRF
writes them); ``RUN_DETAIL_FIELDS`` adds fields of the run detail resource by the same names.
The API keeps its DRF serializer (it drives the OpenAPI schema); a test compares the two for
the same run, so a webhook receiver or a script reading ``--json`` parses what the API returns.
Pure: no queries beyond the run's ``job`` and ``started_by`` (select them with the run).
"""

from __future__ import annotations

import datetime as dt

from jobs.models import Run

# Fields of the detail resource that a notification or a script commonly needs.
RUN_DETAIL_FIELDS = ("counters", "errors_total", "args", "due_at", "host")


def iso_time(value: dt.datetime | None) -> str | None:
    """ISO 8601 as DRF renders a datetime: ``...Z`` for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def run_resource(run: Run, *, detail: tuple[str, ...] = ()) -> dict:
    """The run's API resource (the list shape), plus the named ``RUN_DETAIL_FIELDS``."""
    duration = run.duration
    resource = {
        "id": run.pk,
        "job": run.job_id,
        "job_title": run.job.title,
        "status": run.status,
        "active": run.is_active,
        "trigger": run.trigger,
        "started_by": run.started_by.username if run.started_by_id else None,
        "created_at": iso_time(run.created_at),
        "started_at": iso_time(run.started_at),
        "finished_at": iso_time(run.finished_at),
        "duration_seconds": duration.total_seconds() if duration is not None else None,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "progress_percent": run.progress_percent,
        "message": run.message,
        "attempt": run.attempt,
        "retry_of": run.retry_of_id,
        "parent": run.parent_id,
        "title": run.title,
    }
    details = {
        "counters": run.counters or {},
        "errors_total": len(run.errors or []),
        "args": run.args,
        "due_at": iso_time(run.due_at),
        "host": run.host,
    }
    return resource | {name: details[name] for name in detail}
