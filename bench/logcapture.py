"""Run-log capture cost: a job logging N lines with capture on against capture off.

In-process: ``run_execute`` in autocommit mode (no test transaction) against PostgreSQL
(database ``jobsite_bench_logcapture``), so the writer thread stores batches with COPY
exactly as in a worker. The job (``bench_log``) calls ``logger.info("line %d of the
benchmark", i)`` N times.

Baseline ("capture off"): ``JOBS_RUN_LOG_ENABLED=False``, root logger at INFO with only a
``NullHandler``: every call still builds its LogRecord and passes the handler chain, so
the difference is what capture adds (handler emit, writer thread, COPY, waiting for the
last batch). "Capture on" uses the same root logger (INFO, NullHandler) plus the run's
handler. Prints lines/second of both, the time ratio (target <= 1.5) and a check, in
SQL, that every line was stored once and in order.

    .venv/bin/python bench/logcapture.py [--size N] [--full] [--repeat R]
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_logcapture"

CHECK_SQL = """
WITH lines AS (
    SELECT seq, split_part(message, ' ', 2)::bigint AS k
    FROM jobs_runlog WHERE run_id = %s AND message LIKE 'line %% of the benchmark'
), steps AS (
    SELECT k, k - lag(k) OVER (ORDER BY seq) AS step FROM lines
)
SELECT count(*), min(k), max(k), count(*) FILTER (WHERE step <> 1),
       (SELECT count(*) FROM jobs_runlog WHERE run_id = %s),
       (SELECT max(seq) FROM jobs_runlog WHERE run_id = %s)
FROM steps
"""


def execute_once(job, lines: int, *, capture: bool) -> float:
    """Run the log job once; return its wall time (``run_execute`` from call to return)."""
    from django.test import override_settings

    from jobs.models import Run
    from jobs.runs.execution import run_execute

    run = Run.objects.create(job=job, status=Run.Status.QUEUED, args={"lines": lines}, queue="not-sent")
    with override_settings(JOBS_RUN_LOG_ENABLED=capture):
        started = time.perf_counter()
        status = run_execute(run_id=run.pk)
        elapsed = time.perf_counter() - started
    if status != Run.Status.SUCCESS:
        raise RuntimeError(f"run {run.pk} ended {status}")
    return run.pk, elapsed


def check(run_id: int, lines: int) -> tuple[bool, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL, [run_id, run_id, run_id])
        count, first, last, out_of_order, rows, max_seq = cursor.fetchone()
    ok = count == lines and (lines == 0 or (first == 0 and last == lines - 1)) and out_of_order == 0
    ok = ok and rows == max_seq  # seq is unique per run, so this means 1..rows without gaps
    detail = (f"{count} of {lines} lines stored, first={first} last={last}, out of order={out_of_order}, "
              f"rows={rows} max seq={max_seq}")
    return ok, detail


def main(argv=None):
    import argparse

    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--repeat", type=int, default=1)
    known, rest = extra.parse_known_args(argv)
    args = common.arguments(__doc__.splitlines()[0], size=100_000, full_size=1_000_000, argv=rest)
    common.django_setup(DB_NAME)
    from django.conf import settings

    from jobs.models import Job
    from jobs.services import job_create

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.NullHandler())
    root.setLevel(logging.INFO)

    common.tables_truncate("jobs_runlog", "jobs_run", "jobs_job")
    job = job_create(title="bench log lines", task_type="bench_log")
    job = Job.objects.get(pk=job.pk)
    n = args.size
    print(f"logcapture: {n} lines per run, in-process run_execute (autocommit), db {DB_NAME}, "
          f"batch size {settings.JOBS_RUN_LOG_BATCH_SIZE}")
    print("  baseline: JOBS_RUN_LOG_ENABLED=False, root logger at INFO with a NullHandler only")
    print(f"  {common.machine_load()} before")
    execute_once(job, 2000, capture=False)
    execute_once(job, 2000, capture=True)

    off, on, checks = [], [], []
    for _ in range(known.repeat):
        common.tables_truncate("jobs_runlog")
        off.append(execute_once(job, n, capture=False)[1])
        common.tables_truncate("jobs_runlog")
        run_id, elapsed = execute_once(job, n, capture=True)
        on.append(elapsed)
        checks.append(check(run_id, n))
    best_off, best_on = min(off), min(on)
    print(f"  capture off: {best_off:7.2f} s  {n / best_off:10.0f} lines/s" + _all(off))
    print(f"  capture on:  {best_on:7.2f} s  {n / best_on:10.0f} lines/s" + _all(on))
    ratio = best_on / best_off
    print(f"  time ratio on/off: {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'missed'})")
    for ok, detail in checks:
        print(f"  stored lines check: {'OK' if ok else 'FAILED'} ({detail})")
    print(f"  {common.machine_load()} after")
    common.tables_truncate("jobs_runlog", "jobs_run")


def _all(times):
    return f"  (all runs: {', '.join(f'{t:.2f}' for t in times)} s)" if len(times) > 1 else ""


if __name__ == "__main__":
    main()
