"""Tables of ``manage.py jobs``: one list of ``Column`` per kind of row.

On a terminal they are rich tables; piped, ``tsv`` writes the same columns as
tab-separated lines (a header line first) and ``run_json`` gives a run for ``--json``.

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
from jobs.runs.resource import run_resource
from jobs.scheduling.store import schedule_describe, schedule_next_fire_times
from jobs.units import run_progress_text


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    justify: str = "left"
    no_wrap: bool = False


def when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def run_progress(run: Run) -> str:
    """Progress in the job type's unit, with rate and time left (``jobs.units``)."""
    return run_progress_text(run)


def table(title: str, columns: Iterable[Column], rows: Iterable[Any]) -> Table:
    """Build a rich table; values are plain text (no rich markup from messages)."""
    columns = list(columns)
    result = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for column in columns:
        result.add_column(column.header, justify=column.justify, no_wrap=column.no_wrap)
    for row in rows:
        result.add_row(*(Text("" if (v := column.value(row)) is None else str(v)) for column in columns))
    return result


def tsv(columns: Iterable[Column], rows: Iterable[Any]) -> str:
    """The table as tab-separated lines, a header line first; tabs and line breaks in values become spaces."""
    columns = list(columns)

    def cell(value) -> str:
        return " ".join(("" if value is None else str(value)).split())

    lines = ["\t".join(column.header for column in columns)]
    lines += ["\t".join(cell(column.value(row)) for column in columns) for row in rows]
    return "\n".join(lines) + "\n"


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


def run_json(run: Run) -> dict:
    """A run for ``jobs runs --json``: the API's run resource with its counters, and the table's progress text."""
    return {**run_resource(run, detail=("counters",)), "progress": run_progress(run)}


def run_rows(
    *, job: Job | None = None, task_type: str | None = None, status: str | None = None, limit: int = 20,
    parent: Run | None = None,
):
    """The newest runs: top-level ones, or the subtasks of ``parent``."""
    runs = Run.objects.select_related("job", "started_by").newest_first()
    runs = runs.filter(parent=parent) if parent is not None else runs.top_level()
    if job is not None:
        runs = runs.filter(job=job)
    if task_type is not None:
        runs = runs.filter(job__task_type=task_type)
    if status:
        runs = runs.filter(status=status)
    return list(runs[:limit])
