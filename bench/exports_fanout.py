"""Export records as DataCite XML: one run on one worker process vs fanned out over two (prints, asserts nothing).

N varied demo records (``bench/exports.py``'s seed, 2% tombstones listed in deleted.txt) in
the database ``jobsite_bench_exportfan`` are exported twice through a real Celery worker:

    single run   a worker of concurrency 1, ``part_records=0``: the job's task writes the archive
    fan-out 2    a worker of concurrency 2, ``part_records=N/--parts``: the parent spawns the
                 parts, both worker processes write them, then a join run (``spawn_finally``) joins them

Time is the run's start to its end; peak RSS is VmHWM of each worker pool process, read
from /proc after the run ended, before the worker stops. Archives go to
``var/bench/exportfan-media`` and are deleted afterwards. The machine may be shared: the
load average is printed before each phase.

    .venv/bin/python bench/exports_fanout.py [--size N] [--full] [--parts 8]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB_NAME = "jobsite_bench_exportfan"
MEDIA = common.ROOT / "var" / "bench" / "exportfan-media"


def _pool_peaks_mb(worker_pid: int) -> list[float]:
    """VmHWM (MB) of the worker's pool processes (its children)."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return sorted(peaks, reverse=True)


def _export(env: dict, *, until, concurrency: int, part_records: int) -> tuple[float, list[float], str]:
    from exports.models import ExportFile
    from jobs.models import Run
    from jobs.runs.services import run_create
    from jobs.services import job_create

    job = job_create(title=f"bench export fan-out {concurrency} {part_records}", task_type="export_records")
    with common.Worker(env, concurrency=concurrency) as worker:
        run = run_create(job=job, trigger=Run.Trigger.API, args={
            "serializer": "datacite-xml", "until": until.isoformat(), "include_deleted": True,
            "part_records": part_records,
        })
        common.wait_until(lambda: Run.objects.filter(pk=run.pk, status__in=Run.FINAL_STATUSES).exists(),
                          timeout=7200, interval=0.5, what="the export to end", check=worker.check)
        peaks = _pool_peaks_mb(worker.pid)
    run.refresh_from_db()
    export_file = ExportFile.objects.filter(run=run).first()
    size_mb = export_file.size / 1e6 if export_file else 0.0
    children = Run.objects.filter(parent=run, trigger=Run.Trigger.SUBTASK).count()
    note = f"{run.status}, {children} subtasks, archive {size_mb:.1f} MB, counters={run.counters}"
    return (run.finished_at - run.started_at).total_seconds(), peaks, note


def main(argv=None):
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--parts", type=int, default=8, help="parts of the fan-out phase (default 8)")
    known, rest = extra.parse_known_args(argv)
    args = common.arguments(__doc__.splitlines()[0], size=20_000, full_size=200_000, argv=rest)
    MEDIA.mkdir(parents=True, exist_ok=True)
    env = common.django_setup(DB_NAME, DJANGO_MEDIA_ROOT=str(MEDIA), JOBSITE_LOG_LEVEL="WARNING")
    import datetime as dt
    import logging

    import jobsite  # noqa: F401 - binds shared tasks to the configured Celery app
    from bench.exports import BASE, _seed  # the seed of the single-process export benchmark

    logging.getLogger().setLevel(logging.WARNING)
    common.tables_truncate("exports_exportfile", "jobs_runlog", "jobs_run", "jobs_job")
    common.queue_purge(env)
    size = args.size
    _seed(size)
    until = BASE + dt.timedelta(seconds=size)
    part_records = -(-size // known.parts)
    print(f"export fan-out: {size} records as DataCite XML, db {DB_NAME}, parts of {part_records} records, "
          f"{common.machine_load()}", flush=True)
    results = {}
    phases = [("single run, 1 worker process", 1, 0), ("fan-out, 2 worker processes", 2, part_records)]
    try:
        for name, concurrency, parts in phases:
            before = common.machine_load()
            seconds, peaks, note = _export(env, until=until, concurrency=concurrency, part_records=parts)
            results[name] = size / seconds
            rss = ", ".join(f"{p:.0f}" for p in peaks)
            print(f"  {name:30s} {seconds:8.1f} s {size / seconds:8.0f} records/s  peak RSS per pool process "
                  f"[{rss}] MB  ({note})  [{before} before]", flush=True)
    finally:
        shutil.rmtree(MEDIA, ignore_errors=True)
        common.queue_purge(env)
    ratio = results["fan-out, 2 worker processes"] / results["single run, 1 worker process"]
    print(f"  fan-out 2 / single run: {ratio:.2f}x (target >= 1.6: {'met' if ratio >= 1.6 else 'missed'})")
    print(f"  {common.machine_load()} after", flush=True)


if __name__ == "__main__":
    main()
