"""Dispatch overhead: no-op runs through the job system against bare Celery tasks.

Both phases go through the same real worker subprocess (prefork, same concurrency,
prefetch multiplier 1, acks late) on Redis, against the database ``jobsite_bench_dispatch``:

- bare: ``bench.noop`` Celery tasks with the django-db result backend
  (django-celery-results); done when every result row is stored. Latency: the time the
  task was sent (its argument) to the time it started (its result).
- jobs: runs of the no-op job type ``bench_noop`` created one by one with
  ``services.run_create`` (autocommit, so each is sent on commit); done when every run
  is final. Latency: ``Run.created_at`` to ``Run.started_at``.

Two modes, each with both phases. live: the worker consumes while this process sends;
wall time runs from the first send to the last stored result / finished run (read from
the database, so polling adds nothing). drain: the queue is filled first, then a fresh
worker empties it; wall time runs from the first start to the last stored result, which
isolates the consumer side (sending a run costs an INSERT more than a bare task). Also prints the queries ``run_execute`` makes
on the task's connection for one run, its mean time and the threads it starts, executed
in this process before the worker starts.

    .venv/bin/python bench/dispatch.py [--size N] [--full] [--db-reuse-max N]

``--db-reuse-max N`` is a what-if: the worker runs with ``CELERY_DB_REUSE_MAX=N``
(``bench/worker_settings.py``), so Celery's Django fix-up stops closing the database
connection before and after every task.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_dispatch"


def send_bare(n: int) -> tuple[float, float]:
    from bench.benchtasks import noop

    common.tables_truncate("django_celery_results_taskresult")
    t0 = time.time()
    for _ in range(n):
        noop.apply_async(kwargs={"sent": time.time()})
    return t0, time.time()


def collect_bare(n: int, timeout: float) -> dict:
    """Wait for ``n`` stored results; return latencies, first start and last stored time."""
    from django_celery_results.models import TaskResult

    done = TaskResult.objects.filter(task_name="bench.noop", status="SUCCESS")
    common.wait_until(lambda: done.count() >= n, timeout=timeout, what=f"{n} bare results", check=_check)
    rows = [(json.loads(result), date_done) for result, date_done in done.values_list("result", "date_done")]
    return {
        "latencies": [value["started"] - value["sent"] for value, _ in rows],
        "first_start": min(value["started"] for value, _ in rows),
        "end": max(date_done for _, date_done in rows).timestamp(),
        "statuses": ["SUCCESS"],
    }


def send_jobs(n: int, job) -> tuple[float, float]:
    from jobs.models import Run
    from jobs.runs.services import run_create

    common.tables_truncate("jobs_runlog", "jobs_run")
    t0 = time.time()
    for _ in range(n):
        run_create(job=job, trigger=Run.Trigger.API)
    return t0, time.time()


def collect_jobs(n: int, timeout: float, job) -> dict:
    """Wait for ``n`` final runs; return latencies, first start and last finish."""
    from jobs.models import Run

    final = Run.objects.filter(job=job, status__in=Run.FINAL_STATUSES)
    common.wait_until(lambda: final.count() >= n, timeout=timeout, what=f"{n} runs to end", check=_check)
    rows = list(final.values_list("status", "created_at", "started_at", "finished_at"))
    return {
        "latencies": [(started - created).total_seconds() for _, created, started, _ in rows],
        "first_start": min(started for _, _, started, _ in rows).timestamp(),
        "end": max(finished for *_, finished in rows).timestamp(),
        "statuses": sorted({status for status, *_ in rows}),
    }


def _figures(n, t0, sent, collected, *, since_first_start=False) -> dict:
    wall = collected["end"] - (collected["first_start"] if since_first_start else t0)
    return {
        "send_s": sent - t0,
        "wall_s": wall,
        "throughput": n / wall,
        "latency_median_ms": common.median(collected["latencies"]) * 1000,
        "latency_p95_ms": common.percentile(collected["latencies"], 95) * 1000,
        "statuses": collected["statuses"],
    }


_worker: common.Worker | None = None


def _check():
    if _worker is not None:
        _worker.check()


def run_path_profile(job, runs: int = 50) -> dict:
    """Execute queued runs in this process (autocommit): cost per run of ``run_execute`` alone.

    Returns the mean time per run, the threads started per run (each of which opened
    its own database connection in the first version) and the statements one run sends
    on the task's connection.
    """
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobs.models import Run
    from jobs.runs.execution import run_execute

    ids = [Run.objects.create(job=job, status=Run.Status.QUEUED, queue="not-sent").pk for _ in range(runs + 1)]
    run_execute(run_id=ids.pop())  # warm: imports, registry, connection
    started = []
    original_start = threading.Thread.start

    def counting_start(thread):
        started.append(thread.name)
        return original_start(thread)

    threading.Thread.start = counting_start
    try:
        t0 = time.perf_counter()
        for run_id in ids[1:]:
            run_execute(run_id=run_id)
        elapsed = time.perf_counter() - t0
    finally:
        threading.Thread.start = original_start
    with CaptureQueriesContext(connection) as ctx:
        run_execute(run_id=ids[0])
    return {
        "ms_per_run": elapsed / (runs - 1) * 1000,
        "threads_per_run": len(started) / (runs - 1),
        "statements": [q["sql"][:100] for q in ctx.captured_queries],
    }


def _report(title: str, bare: dict, jobs: dict):
    print(f"  {title}")
    for name, fig in (("bare celery (django-db results)", bare), ("jobs (run_create -> run_execute)", jobs)):
        print(
            f"    {name:34s} wall {fig['wall_s']:7.2f} s  send {fig['send_s']:6.2f} s  "
            f"{fig['throughput']:7.1f} tasks/s  enqueue->start median {fig['latency_median_ms']:7.1f} ms "
            f"p95 {fig['latency_p95_ms']:7.1f} ms  statuses={','.join(fig['statuses'])}"
        )
    ratio = jobs["throughput"] / bare["throughput"]
    print(f"    throughput ratio jobs/bare: {ratio:.2f} (target >= 0.67: {'met' if ratio >= 2 / 3 else 'missed'})")


def main(argv=None):
    global _worker
    import argparse

    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--db-reuse-max", type=int, default=0,
                       help="what-if: CELERY_DB_REUSE_MAX in the worker (keep its connection for N tasks)")
    known, rest = extra.parse_known_args(argv)
    args_parser = common.arguments(__doc__.splitlines()[0], size=200, full_size=1000, argv=rest)
    env = common.django_setup(DB_NAME)
    worker_env = dict(env, DJANGO_SETTINGS_MODULE="bench.worker_settings")
    if known.db_reuse_max:
        worker_env["BENCH_CELERY_DB_REUSE_MAX"] = str(known.db_reuse_max)
    import logging

    import jobsite  # noqa: F401 - binds shared tasks to the configured Celery app

    for handler in logging.getLogger().handlers:  # keep the in-process runs' INFO lines off the console
        handler.setLevel(logging.WARNING)
    from django.conf import settings

    from bench.benchtasks import noop
    from jobs.models import Job
    from jobs.runs.services import run_create
    from jobs.services import job_create

    n = args_parser.size
    concurrency = 2
    common.tables_truncate("jobs_runlog", "jobs_run", "jobs_job", "django_celery_results_taskresult")
    common.queue_purge(env)
    job = job_create(title="bench no-op", task_type="bench_noop")
    timeout = 60 + n * 0.2

    print(f"dispatch: {n} no-op tasks per phase, prefork concurrency={concurrency}, prefetch multiplier 1, "
          f"queue {env['CELERY_TASK_DEFAULT_QUEUE']}, db {DB_NAME}, "
          f"worker CELERY_DB_REUSE_MAX={known.db_reuse_max or f'{settings.CELERY_DB_REUSE_MAX} (the site setting)'}")
    profile = run_path_profile(job)
    print(f"  run_execute in this process: {profile['ms_per_run']:.2f} ms per run, "
          f"{profile['threads_per_run']:.2f} threads started per run, "
          f"{len(profile['statements'])} statements on the task's connection:")
    for sql in profile["statements"]:
        print(f"    {sql}")
    print(f"  {common.machine_load()} before")

    from jobs.models import Run

    job = Job.objects.get(pk=job.pk)
    # Live: the worker runs while this process sends (as in production).
    _worker = common.Worker(worker_env, concurrency=concurrency)
    try:
        # Warm up: the worker is ready and every child process has connected and imported.
        from django_celery_results.models import TaskResult

        for _ in range(4 * concurrency):
            noop.apply_async(kwargs={"sent": time.time()})
            run_create(job=job, trigger=Run.Trigger.API)
        common.wait_until(
            lambda: TaskResult.objects.filter(status="SUCCESS").count() >= 4 * concurrency
            and Run.objects.filter(status__in=Run.FINAL_STATUSES).count() >= 4 * concurrency + 1,
            timeout=90, what="warm-up", check=_check,
        )
        t0, sent = send_bare(n)
        live_bare = _figures(n, t0, sent, collect_bare(n, timeout))
        t0, sent = send_jobs(n, job)
        live_jobs = _figures(n, t0, sent, collect_jobs(n, timeout, job))
    finally:
        _worker.stop()
        common.queue_purge(env)
    _report("live: worker consuming while this process sends; wall = first send -> last stored",
            live_bare, live_jobs)

    # Drain: the queue is filled first, then a fresh worker empties it (consumer side only).
    drained = {}
    for name, send, collect in (
        ("bare", send_bare, lambda: collect_bare(n, timeout)),
        ("jobs", lambda n: send_jobs(n, job), lambda: collect_jobs(n, timeout, job)),
    ):
        t0, sent = send(n)
        _worker = common.Worker(worker_env, concurrency=concurrency)
        try:
            drained[name] = _figures(n, t0, sent, collect(), since_first_start=True)
        finally:
            _worker.stop()
            common.queue_purge(env)
    _report("drain: queue filled first, then a worker empties it; wall = first start -> last stored "
            "(latency includes the wait for the worker)", drained["bare"], drained["jobs"])
    print(f"  {common.machine_load()} after")


if __name__ == "__main__":
    main()
