"""Watch a run from the command line: print new log lines and progress until it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from jobs.durations import duration_text
from jobs.models import Run, RunLog

LOG_BATCH = 2000


def log_line(log: RunLog) -> Text:
    stamp = timezone.localtime(log.created_at).strftime("%H:%M:%S.%f")[:-3]
    return Text(f"{stamp} {logging.getLevelName(log.level):<7} {log.logger}: {log.message}")


def level_parse(value: str) -> int:
    """``INFO``, ``warning`` or ``20`` -> the numeric level (argparse ``type``)."""
    if value.isdigit():
        return int(value)
    level = logging.getLevelName(value.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {value!r}")
    return level


class RunWatcher:
    """Poll one run's status, progress and log lines (seq > last seen) and print them."""

    def __init__(self, console: Console, run_id: int, *, level: int = 0, interval: float = 0.5):
        self.console = console
        self.run_id = run_id
        self.level = level
        self.interval = interval
        self.last_seq = 0
        self.progress: Progress | None = None
        self.bar = None

    def print_new_lines(self) -> int:
        printed = 0
        while True:
            logs = list(
                RunLog.objects.filter(run_id=self.run_id, seq__gt=self.last_seq, level__gte=self.level).order_by("seq")[
                    :LOG_BATCH
                ]
            )
            if logs:
                # One print per batch: a live progress bar re-renders on every print.
                self.console.print(Text("\n").join(log_line(log) for log in logs), soft_wrap=True)
            printed += len(logs)
            if logs:
                self.last_seq = logs[-1].seq
            if len(logs) < LOG_BATCH:
                return printed

    def poll(self) -> Run:
        self.print_new_lines()
        run = Run.objects.get(pk=self.run_id)
        if self.bar is not None:
            self.progress.update(self.bar, completed=run.progress_done or 0, total=run.progress_total, status=run.status)
        return run

    def follow(self, *, timeout: float | None = None, executing: Callable[[], bool] | None = None) -> Run:
        """Print until the run ends (or ``timeout`` passes, or ``executing()`` turns false); return the run.

        Log lines are written before the final status, so one more read after the end
        prints the last of them.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        show_bar = self.console.is_terminal
        if show_bar:
            self.progress = Progress(
                TextColumn(f"run {self.run_id}"),
                TextColumn("{task.fields[status]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar = self.progress.add_task("run", total=None, status="")
            self.progress.start()
        try:
            while True:
                run = self.poll()
                if run.status in Run.FINAL_STATUSES:
                    self.print_new_lines()
                    return run
                if executing is not None and not executing():
                    run = self.poll()
                    return run
                if deadline is not None and time.monotonic() >= deadline:
                    return run
                time.sleep(self.interval)
        finally:
            if self.progress is not None:
                self.progress.stop()
                self.progress = self.bar = None


def run_summary(run: Run) -> str:
    parts = [f"run {run.pk} {run.status}"]
    if run.duration is not None:
        parts.append(f"in {duration_text(run.duration)}")
    text = " ".join(parts)
    if run.counters:
        text += " [" + " ".join(f"{k}={v}" for k, v in sorted(run.counters.items())) + "]"
    if run.message:
        text += f": {run.message}"
    return text
