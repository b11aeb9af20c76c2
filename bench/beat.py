"""Benchmark: many jobs due every minute, one beat, one worker with two processes.

Phase 1 (jobsite): N jobs scheduled every minute (jobs.scheduling.beat.JobScheduler -> fire_schedule ->
run_create -> execute_run, a no-op job type). Phase 2 (django-celery-beat alone): N
PeriodicTasks every minute under the stock DatabaseScheduler sending a bare Celery task
that only records when it started. Both phases spread the N due times evenly over the
minute (job i is due at i * 60/N s past each minute) and run on the same Redis/PostgreSQL.

Prints, for each phase: lateness of the start vs the due time (p50, p99), the beat
process's CPU share (from /proc/<pid>/stat), duplicates and misses. Asserts nothing.

    .venv/bin/python bench/beat.py [--jobs 2000] [--minutes 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (importable once ROOT is on sys.path)
from jobsite.processes import beat_start, worker_start  # noqa: E402

DB_NAME = "jobsite_bench_beat"
BROKER = "redis://127.0.0.1:6379/0"
QUEUE = f"bench-beat-{os.getpid()}"
RECORD_KEY = f"bench-beat-starts-{os.getpid()}"


@shared_task(name="bench.beat.record_start", ignore_result=True)
def record_start(slot: int, key: str):
    """The bare task of phase 2: remember when it started."""
    import redis

    redis.Redis.from_url(BROKER).rpush(key, json.dumps([slot, time.time()]))


def env() -> dict:
    e = dict(os.environ)
    e.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=common.database_url(DB_NAME),
        CELERY_BROKER_URL=BROKER,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        JOBS_EXTRA_TYPES="bench_noop=tests.jobtypes:Echo",
        JOBSITE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return e


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(name: str, n: int, minutes: float, tmp: Path, collect) -> dict:
    """Run one beat + worker; ``collect(window_start, window_end)`` returns (lateness list, dup, miss, extra)."""
    worker = worker_start(env=env(), log_path=tmp / f"{name}-worker.log", queue=QUEUE, concurrency=2,
                          loglevel="WARNING", name=f"bench-{os.getpid()}@%h", extra_args=["-I", "bench.beat"],
                          wait_ready=False)
    scheduler = "jobs.scheduling.beat:JobScheduler" if name == "jobsite" else "django_celery_beat.schedulers:DatabaseScheduler"
    beat = beat_start(env=env(), workdir=tmp, name=f"{name}-beat", scheduler=scheduler, loglevel="WARNING",
                      wait_ready=False, stop_timeout=30)
    warmup = 20.0
    time.sleep(warmup)
    window_start = dt.datetime.now(dt.UTC)
    cpu0, wall0 = cpu_seconds(beat.pid), time.monotonic()
    time.sleep(minutes * 60)
    cpu1, wall1 = cpu_seconds(beat.pid), time.monotonic()
    window_end = dt.datetime.now(dt.UTC)
    beat.stop()
    import redis

    client = redis.Redis.from_url(BROKER)
    drain_deadline = time.monotonic() + 180
    time.sleep(5)
    while client.llen(QUEUE) and time.monotonic() < drain_deadline:  # let the worker take what beat sent
        time.sleep(2)
    time.sleep(5)
    lateness, duplicates, misses, extra = collect(window_start, window_end)
    worker.stop()
    return {
        "name": name, "jobs": n, "minutes": minutes, "runs": len(lateness),
        "p50": percentile(lateness, 0.5), "p99": percentile(lateness, 0.99), "max": max(lateness, default=float("nan")),
        "beat_cpu": 100.0 * (cpu1 - cpu0) / (wall1 - wall0), "duplicates": duplicates, "misses": misses, **extra,
    }


def expected_ticks(phases: list[dt.datetime], start: dt.datetime, end: dt.datetime) -> dict[int, set]:
    """Grid ticks (every 60 s from each anchor) inside [start, end - 5 s)."""
    out = {}
    for i, anchor in enumerate(phases):
        k = -(-(start - anchor) // dt.timedelta(seconds=60))
        tick, ticks = anchor + k * dt.timedelta(seconds=60), set()
        while tick < end - dt.timedelta(seconds=5):
            ticks.add(tick)
            tick += dt.timedelta(seconds=60)
        out[i] = ticks
    return out


def phase_jobsite(n: int, minutes: float, tmp: Path, base: dt.datetime) -> dict:
    from django_celery_beat.models import PeriodicTask

    from jobs.models import Job, Run
    from jobs.scheduling.store import schedule_set
    from jobs.services import job_create

    PeriodicTask.objects.exclude(job__isnull=True).update(enabled=False)  # the reaper stays out of the figures
    jobs, phases = [], []
    for i in range(n):
        job = job_create(title=f"bench {i}", task_type="bench_noop", default_args={"lines": 0})
        anchor = base + dt.timedelta(seconds=60 * i / n)
        schedule_set(job=job, every="60s", every_from=anchor)
        jobs.append(job.pk)
        phases.append(anchor)
    index = {pk: i for i, pk in enumerate(jobs)}

    def collect(start, end):
        expected = expected_ticks(phases, start, end)
        deadline = time.monotonic() + 60
        window = Run.objects.filter(job_id__in=jobs, due_at__gte=start, due_at__lt=end - dt.timedelta(seconds=5))
        while window.active().exists() and time.monotonic() < deadline:
            time.sleep(2)
        rows = list(window.values_list("job_id", "due_at", "started_at", "status"))
        seen: dict[tuple, int] = {}
        for job_id, due, _, _ in rows:
            seen[(job_id, due)] = seen.get((job_id, due), 0) + 1
        duplicates = sum(c - 1 for c in seen.values())
        misses = sum(1 for i, ticks in expected.items() for t in ticks if (jobs[i], t) not in seen)
        lateness = [(s - d).total_seconds() for _, d, s, _ in rows if s is not None]
        by_minute: dict[int, list] = {}
        for _, d, s, _ in rows:
            if s is not None:
                by_minute.setdefault(int((d - start).total_seconds() // 60), []).append((s - d).total_seconds())
        statuses = {}
        for *_, status in rows:
            statuses[status] = statuses.get(status, 0) + 1
        Job.objects.filter(pk__in=jobs).update(active=False)
        PeriodicTask.objects.filter(job__pk__in=jobs).update(enabled=False)
        _ = index
        return lateness, duplicates, misses, {
            "expected": sum(len(t) for t in expected.values()), "statuses": statuses, "by_minute": by_minute,
        }

    return measure("jobsite", n, minutes, tmp, collect)


def phase_stock(n: int, minutes: float, tmp: Path, base: dt.datetime) -> dict:
    import redis
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    client = redis.Redis.from_url(BROKER)
    client.delete(RECORD_KEY)
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    now = dt.datetime.now(dt.UTC)
    phases, tasks = [], []
    for i in range(n):
        anchor = base + dt.timedelta(seconds=60 * i / n)
        last = anchor + ((now - anchor) // dt.timedelta(seconds=60)) * dt.timedelta(seconds=60)
        phases.append(anchor)
        tasks.append(PeriodicTask(
            name=f"bench stock {i}", task="bench.beat.record_start", interval=every, last_run_at=last,
            kwargs=json.dumps({"slot": i, "key": RECORD_KEY}),
        ))
    PeriodicTask.objects.bulk_create(tasks, batch_size=500)
    PeriodicTasks.update_changed()

    def collect(start, end):
        expected = expected_ticks(phases, start, end)
        starts = [json.loads(x) for x in client.lrange(RECORD_KEY, 0, -1)]
        seen: dict[tuple, int] = {}
        lateness = []
        by_minute: dict[int, list] = {}
        for slot, at in starts:
            t = dt.datetime.fromtimestamp(at, dt.UTC)
            anchor = phases[slot]
            tick = anchor + ((t - anchor) // dt.timedelta(seconds=60)) * dt.timedelta(seconds=60)
            if not (start <= tick < end - dt.timedelta(seconds=5)):
                continue
            seen[(slot, tick)] = seen.get((slot, tick), 0) + 1
            lateness.append((t - tick).total_seconds())
            by_minute.setdefault(int((tick - start).total_seconds() // 60), []).append((t - tick).total_seconds())
        duplicates = sum(c - 1 for c in seen.values())
        misses = sum(1 for i, ticks in expected.items() for t in ticks if (i, t) not in seen)
        client.delete(RECORD_KEY)
        return lateness, duplicates, misses, {"expected": sum(len(t) for t in expected.values()), "by_minute": by_minute}

    return measure("django-celery-beat", n, minutes, tmp, collect)


def report(result: dict):
    print(
        f"{result['name']:>20}: jobs={result['jobs']} minutes={result['minutes']:g} due={result['expected']} "
        f"started={result['runs']} lateness p50={result['p50']:.3f}s p99={result['p99']:.3f}s max={result['max']:.3f}s "
        f"beat_cpu={result['beat_cpu']:.1f}% duplicates={result['duplicates']} misses={result['misses']}"
        + (f" statuses={result['statuses']}" if "statuses" in result else ""),
        flush=True,
    )
    minutes = sorted(result.get("by_minute", {}).items())
    print(" " * 22 + "per minute p99/max: " + "  ".join(
        f"m{m}={percentile(v, 0.99):.2f}/{max(v):.2f}s" for m, v in minutes), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()

    import tempfile

    import django
    import redis

    os.environ.update(env())
    common.database_create(DB_NAME, drop=True)
    common.database_migrate(env())
    django.setup()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    print(f"bench/beat.py: {args.jobs} jobs due every minute for {args.minutes:g} min each phase; "
          f"1 beat, 1 worker x 2 processes; database {DB_NAME}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-beat-") as tmp:
        try:
            report(phase_jobsite(args.jobs, args.minutes, Path(tmp), base))
            report(phase_stock(args.jobs, args.minutes, Path(tmp), base))
        finally:
            redis.Redis.from_url(BROKER).delete(QUEUE, RECORD_KEY)
    print("target (jobsite): p99 <= 2 s, zero duplicates, zero misses", flush=True)


if __name__ == "__main__":
    main()
