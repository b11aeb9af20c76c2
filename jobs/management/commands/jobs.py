"""``manage.py jobs list|run|runs|logs|cancel|schedule|sync|export|apply|token``: run and watch jobs from a terminal.

Exit codes: 0 success (or queued without waiting), 1 the run ended failed, cancelled
or skipped, 2 bad input (unknown job or run, invalid arguments, run already ended; for
``sync``: something only an administrator can fix), 3 partial success, 4 ``--timeout``
passed while the run was still active.

``JOB`` (``run``, ``runs --job``, ``schedule``) means the same everywhere: see ``jobs.cli.jobref``.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from rich.console import Console

from jobs.cli import tables
from jobs.cli.arguments import cli_arguments_parse
from jobs.cli.family import family_lines_print
from jobs.cli.follow import RunWatcher, level_parse, run_summary
from jobs.cli.jobref import JOB_HELP, bad_input, job_find, job_resolve
from jobs.cli.jobsfile import apply_command, export_command, jobsfile_arguments_add
from jobs.cli.schedule import schedule_arguments_add, schedule_command
from jobs.cli.sync_report import sync_lines
from jobs.cli.token import token_arguments_add, token_command
from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable, RunNotCancellable
from jobs.models import Job, Run
from jobs.registry import registry
from jobs.runs.cancel import run_cancel
from jobs.runs.dispatch import WAITING_FOR_BROKER
from jobs.runs.ending import run_end
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from jobs.services import job_create
from jobs.sync import jobs_sync

Status = Run.Status
EXIT_BY_STATUS = {Status.SUCCESS: 0, Status.PARTIAL_SUCCESS: 3}
EXIT_FAILED, EXIT_TIMEOUT, EXIT_BROKER_DOWN = 1, 4, 5
FOREGROUND_CANCEL_GRACE = 10.0


def arguments_message(exc: ArgumentsInvalid, job_label: str) -> str:
    lines = [f"invalid arguments for {job_label}:"]
    for key, messages in (exc.messages.items() if isinstance(exc.messages, dict) else [("_schema", exc.messages)]):
        text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        lines.append(f"  {key}: {text}")
    return "\n".join(lines)


class _Stream:
    """File-like view of a command's OutputWrapper for rich (no forced line endings)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self):
        self.wrapper.flush()

    def isatty(self):
        return self.wrapper.isatty()


class Command(BaseCommand):
    # Django's system checks import every URLconf (admin, API, schema) and cost about half a
    # second per call; ``manage.py check``, the web process and the worker still run them.
    requires_system_checks = []
    help = "List job types and jobs, run a job (queued, --wait or --foreground), list runs, read logs, cancel, schedule, sync."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{list,run,runs,logs,cancel,schedule,sync,export,apply,token}")
        sub.add_parser("list", help="Job types (and problems) and jobs with their last run.")

        run = sub.add_parser("run", help="Run a job (by id, title or job type; a job type without a job gets one).")
        run.add_argument("job", help=f"{JOB_HELP} A job type with no job gets a new one.")
        run.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE", help="An argument (repeatable).")
        run.add_argument("--json", dest="json_text", metavar="OBJECT", help="Arguments as a JSON object; @FILE reads a file, - reads standard input.")
        how = run.add_mutually_exclusive_group()
        how.add_argument("--wait", action="store_true", help="Queue it for a worker and wait for the end.")
        how.add_argument("--foreground", action="store_true", help="Execute it in this process.")
        run.add_argument("--timeout", type=float, help="Stop waiting after this many seconds (exit 4).")

        runs = sub.add_parser("runs", help="The newest runs.")
        which = runs.add_mutually_exclusive_group()
        which.add_argument("--job", help=JOB_HELP)
        which.add_argument("--type", dest="task_type", metavar="TYPE", help="Runs of every job of this job type.")
        runs.add_argument("--status", choices=Status.values)
        runs.add_argument("--limit", type=int, default=20)
        runs.add_argument("--parent", type=int, help="The subtasks of this run.")
        runs.add_argument(
            "--json", dest="as_json", action="store_true",
            help="A JSON array of runs. Without it: a table on a terminal, tab-separated lines when piped.",
        )

        logs = sub.add_parser("logs", help="A run's log lines.")
        logs.add_argument("run", type=int)
        logs.add_argument("--follow", action="store_true", help="Keep printing until the run ends.")
        logs.add_argument("--level", type=level_parse, default=0, help="Lowest level shown (INFO, WARNING, 30 ...).")
        logs.add_argument("--children", action="store_true", help="With its subtasks' lines, in time order.")

        cancel = sub.add_parser("cancel", help="Cancel a queued run, or ask a running one to stop.")
        cancel.add_argument("run", type=int)

        schedule_arguments_add(sub.add_parser("schedule", help="Set, change or remove a job's schedule, or show it."))

        sync = sub.add_parser(
            "sync", help="Reconcile jobs with the installed job types and repair the schedules (exit 2: needs attention)."
        )
        sync.add_argument("--create-missing", action="store_true",
                          help="Create one job with the type's defaults for every installed type that has none.")
        sync.add_argument("--dry-run", action="store_true", help="Print what would change; change nothing.")
        jobsfile_arguments_add(sub)

        token_arguments_add(sub.add_parser("token", help="Create, list or revoke API tokens."))

    def handle(self, *args, subcommand, **options):
        self.verbosity = options["verbosity"]
        self.console = Console(
            file=_Stream(self.stdout),
            width=None if self.stdout.isatty() else 160,
            highlight=False,
            soft_wrap=False,
        )
        getattr(self, f"handle_{subcommand}")(**options)

    # --- list / runs --------------------------------------------------------------------

    def handle_list(self, **options):
        self.console.print(tables.table("Job types", tables.JOB_TYPE_COLUMNS, tables.job_type_rows()))
        problems = registry.problems
        if problems:
            self.console.print(tables.table("Unavailable job types", tables.PROBLEM_COLUMNS, problems))
        self.console.print(tables.table("Jobs", tables.JOB_COLUMNS, tables.job_rows()))

    def handle_runs(self, *, job=None, task_type=None, status=None, limit=20, parent=None, as_json=False, **options):
        filters = {}
        if parent is not None:
            filters["parent"] = self._run(parent)
        if job is not None:
            filters["job"] = job_find(job)
        if task_type is not None:
            if task_type not in registry and not Job.objects.filter(task_type=task_type).exists():
                raise bad_input(f"unknown job type {task_type!r} (see `manage.py jobs list`)")
            filters["task_type"] = task_type
        rows = tables.run_rows(status=status, limit=limit, **filters)
        if as_json:
            self.stdout.write(json.dumps([tables.run_json(run) for run in rows], indent=2, ensure_ascii=False))
        elif not rows:
            self.stdout.write("no runs match" if (filters or status) else "no runs yet")
        elif self.stdout.isatty():
            self.console.print(tables.table("Runs", tables.RUN_COLUMNS, rows))
        else:
            self.stdout.write(tables.tsv(tables.RUN_COLUMNS, rows), ending="")

    # --- logs / cancel ------------------------------------------------------------------

    def _run(self, run_id: int) -> Run:
        run = Run.objects.select_related("job").filter(pk=run_id).first()
        if run is None:
            raise bad_input(f"no run with id {run_id}")
        return run

    def handle_logs(self, *, run, follow=False, level=0, children=False, **options):
        run = self._run(run)
        if children and follow:
            raise bad_input("--children prints the lines stored so far; it does not combine with --follow")
        if children:
            family_lines_print(self.console, run.pk, level=level)
            return
        watcher = RunWatcher(self.console, run.pk, level=level)
        if follow:
            run = watcher.follow()
            self.stderr.write(run_summary(run))
        else:
            watcher.print_new_lines()

    def handle_schedule(self, **options):
        for line in schedule_command(**options):
            self.stdout.write(line)

    def handle_token(self, **options):
        for line in token_command(**options):
            self.stdout.write(line)

    def handle_cancel(self, *, run, **options):
        run = self._run(run)
        try:
            run = run_cancel(run=run)
        except RunNotCancellable as exc:
            raise bad_input(f"cannot cancel: {exc}") from exc
        if run.status == Status.CANCELLED:
            self.stdout.write(f"run {run.pk} cancelled")
        else:
            self.stdout.write(f"run {run.pk} asked to stop (status {run.status})")

    # --- sync ---------------------------------------------------------------------------

    def handle_export(self, **options):
        self.stdout.write(export_command(**options), ending="")

    def handle_apply(self, **options):
        self.stdout.write("\n".join(apply_command(**options)))

    def handle_sync(self, *, create_missing=False, dry_run=False, **options):
        report = jobs_sync(create_missing=create_missing, dry_run=dry_run)
        for line in sync_lines(report, create_missing=create_missing):
            self.stdout.write(line)
        if report.needs_attention:
            raise bad_input("sync: some jobs or job types need an administrator (see above)")

    # --- run ----------------------------------------------------------------------------

    def handle_run(self, *, job, arg, json_text=None, wait=False, foreground=False, timeout=None, **options):
        job_obj, new_type = job_resolve(job, allow_new=True)
        task_type = new_type or job_obj.task_type
        label = f"job type {new_type!r}" if new_type else f"job {job_obj.pk} ({job_obj.title})"
        registered = registry.get(task_type)
        if registered is None:
            raise bad_input(f"{label} cannot run: its type {task_type!r} is not installed")
        try:
            data = cli_arguments_parse(schema=registered.schema(), pairs=arg, json_text=json_text)
            with transaction.atomic():
                if job_obj is None:
                    job_obj = job_create(title=registered.title or new_type, task_type=new_type,
                                         description=registered.description or "")
                run = run_create(job=job_obj, args=data, trigger=Run.Trigger.CLI, enqueue=not foreground)
        except ArgumentsInvalid as exc:
            raise bad_input(arguments_message(exc, label)) from exc
        except JobTypeUnavailable as exc:
            raise bad_input(str(exc)) from exc
        if new_type:
            self.stdout.write(f"created job {job_obj.pk} ({job_obj.title}) for job type {new_type!r}")
        if foreground:
            self.stdout.write(f"run {run.pk} of job {job_obj.pk} ({job_obj.title}) running in this process")
            self._foreground(run, timeout)
        else:
            self.stdout.write(f"run {run.pk} of job {job_obj.pk} ({job_obj.title}) queued on {run.queue!r}")
            if wait:
                self._wait(run, timeout)
            else:
                broker_down_check(run)

    def _finish(self, run: Run):
        summary = run_summary(run)
        if run.status not in Run.FINAL_STATUSES:
            summary = f"{summary} (execution stopped before the run ended)"
        code = EXIT_BY_STATUS.get(run.status, EXIT_FAILED)
        if code == 0:
            self.stdout.write(summary)
            return
        if run.status == Status.FAILED and run.traceback and self.verbosity > 1:
            self.stderr.write(run.traceback)
        raise CommandError(summary, returncode=code)

    def _wait(self, run: Run, timeout):
        watcher = RunWatcher(self.console, run.pk)
        try:
            run = watcher.follow(timeout=timeout)
        except KeyboardInterrupt:
            raise CommandError(
                f"stopped waiting; run {run.pk} goes on (`manage.py jobs cancel {run.pk}` stops it)", returncode=130
            ) from None
        if run.status not in Run.FINAL_STATUSES:
            raise CommandError(f"run {run.pk} still {run.status} after {timeout:g} s", returncode=EXIT_TIMEOUT)
        self._finish(run)

    def _foreground(self, run: Run, timeout):
        executing = _execute(run.pk)
        watcher = RunWatcher(self.console, run.pk)
        try:
            run = watcher.follow(timeout=timeout, executing=executing)
            if run.status in Run.ACTIVE_STATUSES and executing():  # timed out
                # Ended here, like a worker's time limit: retried and notified; the task sees its run is over and stops.
                run_end(run_id=run.pk, to_status=Status.FAILED, message=f"timed out after {timeout:g} s (--timeout)")
                raise CommandError(f"run {run.pk} timed out after {timeout:g} s", returncode=EXIT_TIMEOUT)
        except KeyboardInterrupt:
            self.stderr.write(f"interrupted: cancelling run {run.pk} (Ctrl-C again to stop at once)")
            try:
                self._stop_foreground(run, watcher, executing, "interrupted")
            except KeyboardInterrupt:
                run_end(run_id=run.pk, to_status=Status.CANCELLED, message="foreground command interrupted")
            raise CommandError(f"run {run.pk} interrupted", returncode=130) from None
        self._finish(run)

    def _stop_foreground(self, run: Run, watcher: RunWatcher, executing, reason: str):
        """Ask the task to stop; if it does not within the grace time, end the run ``failed``."""
        try:
            run_cancel(run=run)
        except RunNotCancellable:
            return
        watcher.follow(timeout=FOREGROUND_CANCEL_GRACE, executing=executing)
        run_end(run_id=run.pk, to_status=Status.FAILED, message=f"{reason}; the task did not stop")


class _OtherThreads(logging.Filter):
    def __init__(self, thread_name: str):
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record):
        return record.threadName != self.thread_name


def broker_down_check(run: Run):
    """Exit 5 when the run is stored but its message could not reach the broker (the outbox sends it later)."""
    if run.message == WAITING_FOR_BROKER:
        raise CommandError(
            f"run {run.pk} is stored and queued, but the broker cannot be reached: it will be sent when the broker is back",
            returncode=EXIT_BROKER_DOWN,
        )


@contextmanager
def _console_logging_muted(thread_name: str):
    """Keep the run's records off the console handlers: the watcher prints them once."""
    handlers = list(logging.getLogger().handlers)
    muted = _OtherThreads(thread_name)
    for handler in handlers:
        handler.addFilter(muted)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(muted)


def _execute(run_id: int):
    """Execute the run on a thread (the caller keeps the terminal); return an is-running test.

    Inside a transaction (a test) another connection cannot see the run: execute inline.
    """
    if connections["default"].in_atomic_block:
        run_execute(run_id=run_id)
        return lambda: False
    name = f"jobs-run-{run_id}"

    def target():
        try:
            with _console_logging_muted(name):
                run_execute(run_id=run_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread.is_alive
