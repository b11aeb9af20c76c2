"""Subtask overhead: one parent with N no-op subtasks against N independent no-op runs, through one worker.

Both phases go through the same real worker subprocess (prefork, concurrency 2, prefetch
multiplier 1) on Redis, against the database ``jobsite_bench_subtasks``:

- independent: N runs of the no-op job type ``bench_noop`` created one by one with
  ``run_create`` (each sent on commit); wall time from before the first is created to the
  last one's end.
- subtasks: one run of ``bench_spawn_noops`` whose task spawns N no-op subtasks and
  returns; wall time from the parent's start to its end (the spawning, every child, and
  the parent's fan-in). The parent's own share: its task's time until it returned.

Prints figures and the load average; asserts nothing.

    .venv/bin/python bench/subtasks.py [--size N] [--full]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_subtasks"
TYPES = "bench_spawn_noops=bench.subtasktypes:SpawnNoops"


def _independent(job, n: int, timeout: float, worker) -> tuple[float, list]:
    from jobs.models import Run
    from jobs.runs.services import run_create

    started = time.time()
    ids = [run_create(job=job, trigger=Run.Trigger.API).pk for _ in range(n)]
    runs = Run.objects.filter(pk__in=ids)
    common.wait_until(lambda: runs.filter(status__in=Run.FINAL_STATUSES).count() >= n, timeout=timeout,
                      interval=0.2, what=f"{n} runs to end", check=worker.check)
    last = max(runs.values_list("finished_at", flat=True))
    return last.timestamp() - started, sorted(set(runs.values_list("status", flat=True)))


def _subtasks(job, n: int, timeout: float, worker) -> tuple[float, float, list, str]:
    from jobs.models import Run
    from jobs.runs.services import run_create

    parent = run_create(job=job, args={"children": n}, trigger=Run.Trigger.API)
    common.wait_until(lambda: Run.objects.filter(pk=parent.pk, status__in=Run.FINAL_STATUSES).exists(),
                      timeout=timeout, interval=0.2, what="the parent to end", check=worker.check)
    parent.refresh_from_db()
    children = Run.objects.filter(parent=parent)
    first_child = min(children.values_list("created_at", flat=True))
    last_created = max(children.values_list("created_at", flat=True))
    wall = (parent.finished_at - parent.started_at).total_seconds()
    spawning = (last_created - first_child).total_seconds()
    return wall, spawning, sorted(set(children.values_list("status", flat=True))), f"{parent.status}: {parent.message}"


def main(argv=None):
    args = common.arguments(__doc__.splitlines()[0], size=1000, full_size=1000, argv=argv)
    env = common.django_setup(DB_NAME, extra_types=TYPES)
    import logging

    import jobsite  # noqa: F401 - binds shared tasks to the configured Celery app

    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    from jobs.models import Run
    from jobs.runs.services import run_create
    from jobs.services import job_create

    n = args.size
    common.tables_truncate("jobs_runlog", "jobs_run", "jobs_job")
    common.queue_purge(env)
    noop = job_create(title="bench no-op", task_type="bench_noop")
    fan = job_create(title="bench no-op subtasks", task_type="bench_spawn_noops")
    timeout = 120 + n * 0.5
    print(f"subtasks: {n} no-op subtasks of one parent vs {n} independent no-op runs, prefork concurrency 2, "
          f"db {DB_NAME}, {common.machine_load()}", flush=True)
    with common.Worker(env, concurrency=2) as worker:
        warm = [run_create(job=noop, trigger=Run.Trigger.API).pk for _ in range(8)]
        common.wait_until(lambda: Run.objects.filter(pk__in=warm, status__in=Run.FINAL_STATUSES).count() == 8,
                          timeout=90, what="warm-up", check=worker.check)
        alone, statuses = _independent(noop, n, timeout, worker)
        print(f"  independent runs  {alone:7.2f} s  {n / alone:7.1f} runs/s  statuses={','.join(statuses)}  "
              f"[{common.machine_load()}]", flush=True)
        wall, spawning, statuses, outcome = _subtasks(fan, n, timeout, worker)
        print(f"  subtasks          {wall:7.2f} s  {n / wall:7.1f} runs/s  statuses={','.join(statuses)}  "
              f"(spawning took {spawning:.2f} s; parent {outcome})  [{common.machine_load()}]", flush=True)
    print(f"  subtasks / independent wall time: {wall / alone:.2f}x; overhead per subtask "
          f"{(wall - alone) / n * 1000:+.1f} ms")
    print(f"  {common.machine_load()} after", flush=True)
    common.queue_purge(env)


if __name__ == "__main__":
    main()
