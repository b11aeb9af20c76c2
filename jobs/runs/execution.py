"""Execute one run: claim it, call the task in-process, record how it ended.

This is the one place that catches broad exceptions: whatever a task raises ends
its run ``failed`` with the exception's class, message and traceback.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
import traceback as tb

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from jobs import conf
from jobs.exceptions import PartialSuccess, RunCancelled
from jobs.lifeline import ProcessThread
from jobs.logs.capture import capture_run_logs
from jobs.models import Job, Run
from jobs.runs import context
from jobs.runs.cancelled import cancelled_message, canceller_name
from jobs.runs.counters import counters_merged, run_counters_add
from jobs.runs.ending import run_await_children, run_end
from jobs.runs.status import run_transition
from jobs.runs.subtasks import subtask_finally_set, subtask_spawn
from jobs.units import run_unit

logger = logging.getLogger(__name__)
Status = Run.Status


class RunMonitor(ProcessThread):
    """Refresh the heartbeats and write the reported progress of the runs in this process.

    One daemon thread per process, started by the first run and shared by the ones
    after it, with its own connection: a task busy in C code or holding the GIL briefly
    still shows as alive, and progress costs the task nothing. A run that ends within
    one interval costs a dict insert and delete (no thread, no query); the connection is
    closed whenever no run is watched.
    """

    def __init__(self):
        super().__init__(name="run-monitor")
        self._lock = threading.Lock()
        self._runs: dict[int, list] = {}  # run id -> [handle, monotonic time of the last heartbeat]

    def watch(self, run_id: int, handle: context.RunHandle):
        with self._lock:
            self._runs[run_id] = [handle, time.monotonic()]

    def unwatch(self, run_id: int):
        with self._lock:
            self._runs.pop(run_id, None)

    def run(self):
        while True:
            time.sleep(min(conf.get("JOBS_HEARTBEAT_SECONDS"), conf.get("JOBS_PROGRESS_FLUSH_SECONDS")))
            with self._lock:
                watched = list(self._runs.items())
            if not watched:
                connections.close_all()
                continue
            for run_id, entry in watched:
                try:
                    self._refresh(run_id, entry)
                except (DatabaseError, InterfaceError) as exc:  # a lost heartbeat must not stop the others
                    logger.warning("run_monitor_failed run_id=%s error=%s", run_id, exc)
                    # A dead connection (a database restart) is closed; the next tick reconnects.
                    connections["default"].close()

    def _refresh(self, run_id: int, entry: list):
        handle, last_beat = entry
        now = time.monotonic()
        fields = handle.snapshot() if handle.dirty else {}
        if fields or now - last_beat >= conf.get("JOBS_HEARTBEAT_SECONDS"):
            if "counters" in fields:
                fields["counters"] = counters_merged(fields["counters"])
            fields["heartbeat_at"] = timezone.now()
            entry[1] = now
            # The run's own final update may win the race: then this matches no row.
            Run.objects.filter(pk=run_id, status__in=Run.ACTIVE_STATUSES).update(**fields)


def _cancel_check(run_id):
    """The task should stop once its run is no longer ``running``: cancelling, or ended by someone else."""

    def check():
        return not Run.objects.filter(pk=run_id, status=Status.RUNNING).exists()

    return check


def run_execute(*, run_id: int) -> str | None:
    """Run ``run_id`` if it is still queued; return its final status (None when not claimed)."""
    run = _claim(run_id)
    if run is None:
        status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
        logger.info("run_not_claimed run_id=%s status=%s", run_id, status)
        return None

    handle = context.RunHandle(
        run.pk, job_id=run.job_id, max_errors=conf.get("JOBS_MAX_ERRORED_ENTRIES"), cancel_check=_cancel_check(run.pk),
        spawner=functools.partial(subtask_spawn, parent=run),
        finisher=functools.partial(subtask_finally_set, parent=run),
        counts_store=functools.partial(run_counters_add, run_id=run.pk),
    )
    # Inside a caller's transaction another connection would wait on the run's row lock.
    monitor = None if connections["default"].in_atomic_block else RunMonitor.shared()
    outcome: dict = {}
    token = context.activate(handle)
    if monitor is not None:
        monitor.watch(run.pk, handle)
    logs = capture_run_logs(run.pk, store_on_exit=False)
    try:
        with logs:
            outcome = _call(run, handle)
    finally:
        if monitor is not None:
            monitor.unwatch(run.pk)
        context.deactivate(token)

    final = dict(handle.snapshot(), **outcome)
    final["counters"] = counters_merged(final["counters"])
    status = final.pop("status")
    # A task that lost the database ends when it answers again, on a new connection.
    _database_wait(run.pk, failed=status == Status.FAILED)
    # The last log lines and the final status share one commit (a commit waits for the disk).
    with transaction.atomic():
        logs.store()
        if handle.spawned and status in (Status.SUCCESS, Status.PARTIAL_SUCCESS):
            # Its subtasks decide how it ends; the worker slot is free from here on.
            if run_await_children(run_id=run.pk, **final):
                return Status.RUNNING
        ended = run_end(run_id=run.pk, from_statuses=[Status.RUNNING], to_status=status, job=run.job,
                        parent_id=run.parent_id, **final)
        if not ended:
            # A cancel was requested while the task ran: the lifecycle ends it `cancelled`,
            # and the message says how far the task got.
            if status != Status.CANCELLED:
                final["message"] = f"cancelled on request; the task ended {status} before it stopped: {final.get('message') or ''}".rstrip(": ")
            status = Status.CANCELLED
            ended = run_end(run_id=run.pk, from_statuses=[Status.CANCELLING], to_status=status, job=run.job,
                            parent_id=run.parent_id, **final)
    if not ended:
        current = Run.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        logger.warning("run_end_lost run_id=%s wanted=%s current=%s", run.pk, status, current)
        return current
    return status


# In the model's field order (Model.from_db maps partial rows by it); the last three are read by jobs.runs.followups.
_JOB_FIELDS = ("id", "title", "task_type", "overlap_policy", "soft_time_limit", "max_retries", "notify_emails")
_CLAIM_CHANGES = ("status", "started_at", "heartbeat_at", "host")


def _claim(run_id: int) -> Run | None:
    """Compare-and-set the run from queued to running; return it with its job, or None.

    On PostgreSQL one ``UPDATE ... FROM ... RETURNING`` both claims the run and reads it
    with the job fields execution needs (the job's other fields load when touched).
    """
    now = timezone.now()
    changes = dict(zip(_CLAIM_CHANGES, (Status.RUNNING, now, now, _hostname()), strict=True))
    connection = connections["default"]
    if connection.vendor != "postgresql":
        if not run_transition(run_id=run_id, from_statuses=[Status.QUEUED], to_status=Status.RUNNING, **changes):
            return None
        return Run.objects.select_related("job").get(pk=run_id)
    run_fields = Run._meta.concrete_fields
    job_fields = [Job._meta.get_field(name) for name in _JOB_FIELDS]
    params = [Run._meta.get_field(name).get_db_prep_save(value, connection) for name, value in changes.items()]
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(connection.ops.quote_name), [*params, run_id, Status.QUEUED])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(run_fields)
    run = Run.from_db(connection.alias, [f.attname for f in run_fields], _converted(run_fields, row[:n], connection))
    run.job = Job.from_db(connection.alias, [f.attname for f in job_fields], _converted(job_fields, row[n:], connection))
    return run


@functools.cache
def _claim_sql(quote) -> str:
    run, job = Run._meta, Job._meta
    columns = [f"r.{quote(f.column)}" for f in run.concrete_fields]
    columns += [f"j.{quote(job.get_field(name).column)}" for name in _JOB_FIELDS]
    sets = ", ".join(f"{quote(run.get_field(name).column)} = %s" for name in _CLAIM_CHANGES)
    return (
        f"UPDATE {quote(run.db_table)} AS r SET {sets} FROM {quote(job.db_table)} AS j "
        f"WHERE r.{quote(run.pk.column)} = %s AND r.{quote(run.get_field('status').column)} = %s "
        f"AND j.{quote(job.pk.column)} = r.{quote(run.get_field('job').column)} RETURNING {', '.join(columns)}"
    )


def _converted(fields, values, connection) -> list:
    out = []
    for field, value in zip(fields, values, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        out.append(value)
    return out


@functools.cache
def _hostname() -> str:
    return socket.gethostname()[:255]


def _task_of(run: Run):
    """The callable a run executes: its job type's task, or a subtask's own Celery task."""
    registered = run.job.registered_task
    if registered is None:
        return None, f"Job type {run.job.task_type!r} is not installed."
    if not run.task_name:
        return registered.task, ""
    task = current_app.tasks.get(run.task_name)
    if task is None:
        return None, f"Subtask task {run.task_name!r} is not registered in this worker."
    return task, ""


def _call(run: Run, handle: context.RunHandle) -> dict:
    """Call the run's task with the run's arguments; describe how it ended."""
    task, missing = _task_of(run)
    if task is None:
        return {"status": Status.FAILED, "message": missing}
    task_logger = logging.getLogger(getattr(task, "__module__", __name__))
    try:
        task_logger.info("run_started run_id=%s job=%s", run.pk, run.job.title)
        result = task(**(run.args or {}))
    except RunCancelled as exc:
        # Who asked and how far the task got ("cancelled by admin after 15,000 of 60,000 records").
        by = canceller_name(run.pk)
        message = cancelled_message(by=by, done=handle.done, total=handle.total, unit=run_unit(run))
        if str(exc) and str(exc) != "cancelled on request":
            message += f": {exc}"
        task_logger.info("run_cancelled run_id=%s by=%s done=%s total=%s", run.pk, by, handle.done, handle.total)
        return {"status": Status.CANCELLED, "message": message}
    except PartialSuccess as exc:
        if exc.errored is not None:
            handle.counters["errored"] = max(handle.errored, int(exc.errored))
        return {"status": Status.PARTIAL_SUCCESS, "message": str(exc)}
    except SoftTimeLimitExceeded:
        limit = run.job.soft_time_limit
        return {"status": Status.FAILED, "message": f"timed out after {limit} s", "traceback": tb.format_exc()}
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a failed run
        task_logger.error("run_failed run_id=%s error=%s: %s", run.pk, type(exc).__name__, exc)
        message = f"{type(exc).__name__}: {exc}".strip()
        if _connection_lost(exc):
            message = f"database connection lost during {run.job.title}: {message}"
        return {"status": Status.FAILED, "message": message, "traceback": tb.format_exc()}
    return _success(result, handle)


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the task's database connection going away."""
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            connection = connections["default"]
            return connection.connection is None or not connection.is_usable()
        exc = exc.__cause__ or exc.__context__
    return False


def _database_wait(run_id: int, *, failed: bool):
    """After a lost connection, wait (up to ``JOBS_DATABASE_WAIT_SECONDS``) for the database to answer again.

    The run's end is then written at once on a new connection, with the real cause,
    instead of the reaper's "worker lost" a minute later. A failed run's connection is
    checked even without an error of its own: the task may have lost the database on
    another thread's connection (an import's writer thread).
    """
    connection = connections["default"]
    if connection.in_atomic_block or connection.connection is None or not (failed or connection.errors_occurred):
        return
    if connection.is_usable():
        return
    deadline = time.monotonic() + conf.get("JOBS_DATABASE_WAIT_SECONDS")
    logger.warning("run_database_lost run_id=%s", run_id)
    while True:
        connection.close()
        try:
            connection.ensure_connection()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                return  # the ending fails too; the reaper ends the run when the database is back
            time.sleep(0.5)


def _success(result, handle: context.RunHandle) -> dict:
    """Map a task's return value to the run's end: counts of errored entries mean partial success."""
    message = ""
    if isinstance(result, dict):
        for key, value in result.items():
            if isinstance(value, int) and not isinstance(value, bool) and key not in handle.counters:
                handle.counters[key] = value
        message = str(result.get("message", ""))
    elif isinstance(result, str):
        message = result
    if handle.errored:
        return {"status": Status.PARTIAL_SUCCESS, "message": message or f"{handle.errored} entries errored"}
    return {"status": Status.SUCCESS, "message": message}
