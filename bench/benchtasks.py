"""Tasks and job types the benchmarks run (registered through ``JOBS_EXTRA_TYPES`` by bench.common)."""

import logging
import time

from celery import shared_task
from marshmallow import fields, validate

from jobs.registry import RegisteredTask

logger = logging.getLogger("bench.benchtasks")


@shared_task(name="bench.noop")
def noop(sent=None):
    """A bare Celery task: return when it was sent and when it started (for the latency)."""
    return {"sent": sent, "started": time.time()}


@shared_task(name="bench.job_noop")
def job_noop():
    return None


class Noop(RegisteredTask):
    title = "Bench: no-op"
    description = "Do nothing (dispatch benchmark)."
    task = job_noop


@shared_task(name="bench.log_lines")
def log_lines(lines=1000):
    """Log ``lines`` INFO lines, numbered from 0."""
    info = logger.info
    for i in range(lines):
        info("line %d of the benchmark", i)
    return {"message": f"logged {lines} lines"}


class LogLines(RegisteredTask):
    title = "Bench: log lines"
    description = "Log a number of lines (log capture benchmark)."
    task = log_lines
    arguments_schema = {"lines": fields.Integer(load_default=1000, validate=validate.Range(min=0))}
