"""Dispatch overhead: no-op runs through the job system against bare Celery tasks.

Both phases go through the same real worker subprocess (prefork, same concurrency,
prefetch multiplier 1, acks late) on Redis, against the database ``jobsite_bench_dispatch``:

- bare: ``bench.noop`` Celery tasks with the django-db result backend
  (django-celery-results); done when every result row is stored. Latency: the time the
  task was sent (its argument) to the time it started (its result).
- jobs: runs of the no-op job type ``bench_noop`` created one by one with
  ``services.run_create`` (autocommit, so each is sent on commit); done when every run
  is final. Latency: ``Run.created_at`` to ``Run.started_at``.

Wall time runs from the first send to the last stored result / finished run (from the
database, so polling does not add to it). Also prints the queries ``run_execute`` makes
on the task's connection for one run, its mean time and the threads it starts, executed
in this process before the worker starts.

    .venv/bin/python bench/dispatch.py [--size N] [--full] [--concurrency 2]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_dispatch"


def phase_bare(n: int, timeout: float) -> dict:
    from django_celery_results.models import TaskResult

    from bench.benchtasks import noop

    common.tables_truncate("django_celery_results_taskresult")
    t0 = time.time()
    for _ in range(n):
        noop.apply_async(kwargs={"sent": time.time()})
    sent = time.time()
    done = TaskResult.objects.filter(task_name="bench.noop", status="SUCCESS")
    common.wait_until(lambda: done.count() >= n, timeout=timeout, what=f"{n} bare results", check=_check)
    rows = list(done.values_list("result", "date_done"))
    latencies = []
    for result, _ in rows:
        value = json.loads(result)
        latencies.append(value["started"] - value["sent"])
    end = max(date_done for _, date_done in rows).timestamp()
    return _figures(n, t0, sent, end, latencies)


def phase_jobs(n: int, timeout: float, job) -> dict:
    from jobs.models import Run
    from jobs.services import run_create

    common.tables_truncate("jobs_runlog", "jobs_run")
    t0 = time.time()
    for _ in range(n):
        run_create(job=job, trigger=Run.Trigger.API)
    sent = time.time()
    final = Run.objects.filter(job=job, status__in=Run.FINAL_STATUSES)
    common.wait_until(lambda: final.count() >= n, timeout=timeout, what=f"{n} runs to end", check=_check)
    rows = list(final.values_list("status", "created_at", "started_at", "finished_at"))
    statuses = {status for status, *_ in rows}
    latencies = [(started - created).total_seconds() for _, created, started, _ in rows]
    end = max(finished for *_, finished in rows).timestamp()
    return dict(_figures(n, t0, sent, end, latencies), statuses=sorted(statuses))


def _figures(n, t0, sent, end, latencies) -> dict:
    wall = end - t0
    return {
        "n": n,
        "send_s": sent - t0,
        "wall_s": wall,
        "throughput": n / wall,
        "latency_median_ms": common.median(latencies) * 1000,
        "latency_p95_ms": common.percentile(latencies, 95) * 1000,
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

    from jobs.execution import run_execute
    from jobs.models import Run

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


def main(argv=None):
    global _worker
    args_parser = common.arguments(__doc__.splitlines()[0], size=200, full_size=1000, argv=argv)
    env = common.django_setup(DB_NAME)
    import logging

    import jobsite  # noqa: F401 - binds shared tasks to the configured Celery app

    for handler in logging.getLogger().handlers:  # keep the in-process runs' INFO lines off the console
        handler.setLevel(logging.WARNING)
    from bench.benchtasks import noop
    from jobs.models import Job
    from jobs.services import job_create, run_create

    n = args_parser.size
    concurrency = 2
    common.tables_truncate("jobs_runlog", "jobs_run", "jobs_job", "django_celery_results_taskresult")
    common.queue_purge(env)
    job = job_create(title="bench no-op", task_type="bench_noop")
    timeout = 60 + n * 0.2

    print(f"dispatch: {n} no-op tasks per phase, prefork concurrency={concurrency}, prefetch multiplier 1, "
          f"queue {env['CELERY_TASK_DEFAULT_QUEUE']}, db {DB_NAME}")
    profile = run_path_profile(job)
    print(f"  run_execute in this process: {profile['ms_per_run']:.2f} ms per run, "
          f"{profile['threads_per_run']:.2f} threads started per run, "
          f"{len(profile['statements'])} statements on the task's connection:")
    for sql in profile["statements"]:
        print(f"    {sql}")
    print(f"  {common.machine_load()} before")

    _worker = common.Worker(env, concurrency=concurrency)
    try:
        # Warm up: the worker is ready and every child process has connected and imported.
        from django_celery_results.models import TaskResult

        from jobs.models import Run

        for _ in range(4 * concurrency):
            noop.apply_async(kwargs={"sent": time.time()})
            run_create(job=job, trigger=Run.Trigger.API)
        common.wait_until(
            lambda: TaskResult.objects.filter(status="SUCCESS").count() >= 4 * concurrency
            and Run.objects.filter(status__in=Run.FINAL_STATUSES).count() >= 4 * concurrency + 1,
            timeout=90, what="warm-up", check=_check,
        )
        bare = phase_bare(n, timeout)
        jobs = phase_jobs(n, timeout, Job.objects.get(pk=job.pk))
    finally:
        _worker.stop()
        common.queue_purge(env)

    for name, fig in (("bare celery (django-db results)", bare), ("jobs (run_create -> run_execute)", jobs)):
        extra = f" statuses={','.join(fig['statuses'])}" if "statuses" in fig else ""
        print(
            f"  {name:34s} wall {fig['wall_s']:7.2f} s  send {fig['send_s']:6.2f} s  "
            f"{fig['throughput']:7.1f} tasks/s  enqueue->start median {fig['latency_median_ms']:7.1f} ms "
            f"p95 {fig['latency_p95_ms']:7.1f} ms{extra}"
        )
    ratio = jobs["throughput"] / bare["throughput"]
    print(f"  throughput ratio jobs/bare: {ratio:.2f} (target >= 0.67: {'met' if ratio >= 2 / 3 else 'missed'})")
    print(f"  {common.machine_load()} after")


if __name__ == "__main__":
    main()
