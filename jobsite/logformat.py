"""``JOBSITE_LOG_FORMAT=json``: one JSON object per log line, with the run and job inside a run.

``RunContextFilter`` puts ``run_id`` and ``job_id`` of ``jobs.current_run()`` on every
record (None outside a run); ``JsonFormatter`` writes the record as one line. Django's
``LOGGING`` uses both for web processes; ``jobsite/celery.py`` installs the formatter on
the handlers Celery sets up for the worker and beat (``logs_json_install``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings

from jobs.runs.context import current_run

# Attributes every LogRecord has; anything else was passed in ``extra=`` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "run_id", "job_id"}


class RunContextFilter(logging.Filter):
    """Adds ``run_id`` and ``job_id`` of the run executing in this context (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        handle = current_run()  # a detached handle (ids None) outside a run
        record.run_id = handle.run_id
        record.job_id = handle.job_id
        return True


class JsonFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., "run_id": ..., "job_id": ...}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "run_id"):  # a handler without the filter (Celery's own)
            RunContextFilter().filter(record)
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "run_id": record.run_id,
            "job_id": record.job_id,
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logs_json_install(logger: logging.Logger | None) -> None:
    """Give every handler of ``logger`` the JSON formatter when ``JOBSITE_LOG_FORMAT`` is json."""
    if logger is None or getattr(settings, "JOBSITE_LOG_FORMAT", "plain") != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
