"""Scraping /metrics on a big history: queries per scrape and server time (also the Health and job pages).

Creates its own database ``jobsite_bench_metrics`` (dropped and refilled each time),
bulk-loads jobs and runs with ``INSERT ... SELECT generate_series`` (the loaders of
``bench/admin_scale.py``), gives every tenth job an interval schedule, scheduled runs a
due time and every 25th job a running run, then requests ``/metrics`` in-process with
Django's test client and a bearer token. Rows:

- ``/metrics``: the first request folds the whole history into the stored fold
  (``jobs/metrics/fold.py``; once per database, not per process), the later ones read
  the stored fold and the runs not folded yet (the fold is not due within 60 s);
- ``/metrics, fold due``: ``JOBS_METRICS_FOLD_SECONDS=0``, every request moves the fold
  on first (here: nothing new to fold but the running runs);
- ``/metrics, new process``: the first /metrics request of a fresh process (a restarted
  web worker, after one request to /healthz), once the fold exists: one request, so no median;
- the Health page and a job page, for comparison.

Prints figures, asserts nothing.

    .venv/bin/python bench/metrics.py            # 100 jobs, 100,000 runs
    .venv/bin/python bench/metrics.py --full     # 1,000 jobs, 1,000,000 runs
    .venv/bin/python bench/metrics.py --size 300000
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DATABASE = "jobsite_bench_metrics"
TOKEN = "bench-token"
TARGET_MS = 50


def load(runs: int, jobs: int):
    from bench.admin_scale import execute, load_jobs, load_runs
    from jobs.models import Job
    from jobs.scheduling.store import schedule_set

    load_jobs(1, jobs)
    load_runs(runs)
    # Scheduled runs were due a few seconds before they were created (the lateness histogram).
    execute("UPDATE jobs_run SET due_at = created_at - make_interval(secs => id % 7) WHERE trigger = 'schedule'")
    execute("INSERT INTO jobs_run (job_id, status, trigger, args, queue, task_id, created_at, started_at, heartbeat_at,"
            " counters, errors, message, traceback, host, attempt, held, awaiting_children, task_name, title, then_task,"
            " then_args)"
            " SELECT id, 'running', 'admin', '{}', 'celery', md5(id::text), now(), now(), now(), '{}', '[]', '', '',"
            " 'bench-host', 0, false, false, '', '', '', '{}' FROM jobs_job WHERE id % 25 = 0")
    for job in Job.objects.filter(pk__in=range(10, jobs + 1, 10)):
        schedule_set(job=job, every=3600 if job.pk % 20 else "1d")
    for table in ("jobs_job", "jobs_run"):
        execute(f"VACUUM ANALYZE {table}")


class QueryLog:
    """A database execute wrapper that records each query's SQL and time (DEBUG stays off)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append({"sql": sql, "time": time.perf_counter() - start})


def measure(client, url: str, requests: int, **headers):
    from django.db import connection

    log = QueryLog()
    start = time.perf_counter()
    with connection.execute_wrapper(log):
        response = client.get(url, **headers)
    first = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    ctx = type("Captured", (), {"captured_queries": log.queries})
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "queries": len(ctx.captured_queries), "first": first,
        "median": statistics.median(times) if times else float("nan"), "max": max(times, default=float("nan")),
        "bytes": len(response.content), "slowest_sql_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"][:70],
    }


def one_scrape():
    """In a new process (``--one-scrape``): one /metrics request on the loaded database; prints its figures as JSON."""
    common.django_setup(DATABASE, migrate=False, JOBSITE_METRICS_TOKEN=TOKEN)
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.get("/healthz")  # Django's own first request (URLs, middleware) is not the scrape's
    print(json.dumps(measure(client, "/metrics", 0, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")))


def main():
    if "--one-scrape" in sys.argv:
        return one_scrape()
    args = common.arguments(__doc__.splitlines()[0], size=100_000, full_size=1_000_000)
    common.database_create(DATABASE, drop=True)
    env = common.django_setup(DATABASE, JOBSITE_METRICS_TOKEN=TOKEN)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    jobs = max(args.size // 1000, 10)
    start = time.perf_counter()
    load(args.size, jobs)
    loaded = time.perf_counter() - start

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    admin = Client()
    admin.force_login(user)
    requests = 10
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    rows = [("/metrics", measure(Client(), "/metrics", requests, **bearer))]
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    rows.append(("/metrics, fold due", measure(Client(), "/metrics", requests, **bearer)))
    del settings.JOBS_METRICS_FOLD_SECONDS
    done = subprocess.run([sys.executable, __file__, "--one-scrape"], env=env, capture_output=True, text=True, check=True)
    rows.append(("/metrics, new process", json.loads(done.stdout.splitlines()[-1])))
    rows += [
        ("Health page", measure(admin, "/admin/jobs/health/", requests)),
        ("job page (charts, deliveries)", measure(admin, "/admin/jobs/job/10/change/", requests)),
    ]
    print(f"metrics: {jobs:,} jobs, {args.size:,} runs (loaded in {loaded:.1f} s); {requests} requests each, "
          f"target /metrics <= {TARGET_MS} ms; {common.machine_load()}")
    print("first: the first request (for /metrics: it folds the whole history, once per database);"
          " median, max: the requests after it")
    print(f"{'page':<30} {'queries':>7} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'kB':>6}  slowest query (first)")
    for name, row in rows:
        print(f"{name:<30} {row['queries']:>7} {row['first']:>9.1f} {row['median']:>10.1f} {row['max']:>8.1f}"
              f" {row['bytes'] / 1000:>6.1f}  {row['slowest_sql_ms']:.1f} ms: {row['slowest_sql']}")


if __name__ == "__main__":
    main()
