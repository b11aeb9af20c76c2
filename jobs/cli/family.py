"""``manage.py jobs logs PARENT --children``: a parent's and its subtasks' lines in time order."""

from __future__ import annotations

from django.db.models import Q
from rich.console import Console
from rich.text import Text

from jobs.cli.follow import LOG_BATCH, log_line
from jobs.models import Run, RunLog


def family_lines_print(console: Console, parent_id: int, *, level: int = 0) -> int:
    """Print every line of the run and its subtasks, oldest first (keyset over time, run, seq); return the count."""
    run_ids = [parent_id, *Run.objects.filter(parent_id=parent_id).order_by("pk").values_list("pk", flat=True)]
    lines = RunLog.objects.filter(run_id__in=run_ids, level__gte=level).order_by("created_at", "run_id", "seq")
    printed, after = 0, None
    while True:
        page = lines
        if after is not None:
            at, run_id, seq = after
            page = page.filter(
                Q(created_at__gt=at) | Q(created_at=at, run_id__gt=run_id) | Q(created_at=at, run_id=run_id, seq__gt=seq)
            )
        batch = list(page[:LOG_BATCH])
        if batch:
            console.print(
                Text("\n").join(Text(f"[run {log.run_id}] ").append_text(log_line(log)) for log in batch), soft_wrap=True
            )
            printed += len(batch)
            last = batch[-1]
            after = (last.created_at, last.run_id, last.seq)
        if len(batch) < LOG_BATCH:
            return printed
