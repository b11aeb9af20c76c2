"""Tables of ``manage.py jobs``: one list of ``Column`` per kind of row.

Add a column by appending to a list (``JOB_COLUMNS.append(Column("Schedule", ...))``)
and, when it needs data, extend the matching ``*_rows`` query so the table stays a
fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rich import box
from rich.table import Table
from rich.text import Text

from jobs.durations import duration_text
from jobs.models import Job, Run, attach_last_run
from jobs.registry import registry
from jobs.scheduling.store import schedule_describe, schedule_next_fire_times


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    justify: str = "left"
    no_wrap: bool = False


def when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def run_progress(run: Run) -> str:
    if run.progress_total:
        return f"{run.progress_done or 0}/{run.progress_total}"
    return str(run.progress_done) if run.progress_done is not None else ""


def table(title: str, columns: Iterable[Column], rows: Iterable[Any]) -> Table:
    """Build a rich table; values are plain text (no rich markup from messages)."""
    columns = list(columns)
    result = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for column in columns:
        result.add_column(column.header, justify=column.justify, no_wrap=column.no_wrap)
    for row in rows:
        result.add_row(*(Text("" if (v := column.value(row)) is None else str(v)) for column in columns))
    return result


# --- job types ------------------------------------------------------------------------

JOB_TYPE_COLUMNS = [
    Column("ID", lambda item: item[0], no_wrap=True),
    Column("Title", lambda item: item[1].title or item[0]),
    Column("Description", lambda item: item[1].description or (item[1].__doc__ or "").strip()),
]

PROBLEM_COLUMNS = [
    Column("Check", lambda problem: problem.check_id, no_wrap=True),
    Column("Unavailable", lambda problem: problem.source),
    Column("Problem", lambda problem: problem.message),
]


def job_type_rows():
    return sorted(registry.types.items())


# --- jobs -----------------------------------------------------------------------------


def _job_type(job: Job) -> str:
    return job.task_type if job.available else f"{job.task_type} (not installed)"


def _last_run(job: Job) -> str:
    run = job.last_run
    return f"{run.status} {when(run.created_at)} (run {run.pk})" if run else "never run"


def _next_run(job: Job) -> str:
    times = schedule_next_fire_times(job, 1)
    return times[0].strftime("%Y-%m-%d %H:%M %Z") if times else ""


JOB_COLUMNS = [
    Column("ID", lambda job: job.pk, justify="right", no_wrap=True),
    Column("Title", lambda job: job.title),
    Column("Type", _job_type),
    Column("Active", lambda job: "yes" if job.active else "no"),
    Column("Schedule", schedule_describe),
    Column("Next run", _next_run, no_wrap=True),
    Column("Runs", lambda job: job.run_count, justify="right"),
    Column("Last run", _last_run),
]


def job_rows(queryset=None) -> list[Job]:
    """Jobs with their run count and newest run, in two queries."""
    return attach_last_run(
        (queryset if queryset is not None else Job.objects.all())
        .select_related("periodic_task__interval", "periodic_task__crontab", "periodic_task__clocked")
        .with_run_stats()
    )


# --- runs -----------------------------------------------------------------------------

RUN_COLUMNS = [
    Column("ID", lambda run: run.pk, justify="right", no_wrap=True),
    Column("Job", lambda run: f"{run.job_id} {run.job.title}"),
    Column("Status", lambda run: run.status, no_wrap=True),
    Column("Trigger", lambda run: run.trigger),
    Column("Created", lambda run: when(run.created_at), no_wrap=True),
    Column("Duration", lambda run: duration_text(run.duration, empty=""), justify="right"),
    Column("Progress", run_progress, justify="right"),
    Column("Message", lambda run: run.message),
]


def run_rows(
    *, job: Job | None = None, task_type: str | None = None, status: str | None = None, limit: int = 20,
    parent: Run | None = None,
):
    """The newest runs: top-level ones, or the subtasks of ``parent``."""
    runs = Run.objects.select_related("job").newest_first()
    runs = runs.filter(parent=parent) if parent is not None else runs.top_level()
    if job is not None:
        runs = runs.filter(job=job)
    if task_type is not None:
        runs = runs.filter(job__task_type=task_type)
    if status:
        runs = runs.filter(status=status)
    return list(runs[:limit])
