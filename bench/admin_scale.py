"""Admin pages at scale: job list, run list and a run's log page on a big PostgreSQL database.

Creates its own database (``jobsite_bench_admin`` by default), bulk-loads jobs, runs and
one run with many log lines (``INSERT ... SELECT generate_series``), then requests the
admin pages in-process with Django's test client as a superuser and prints queries per
page and the median server time. Prints figures, asserts nothing.

    .venv/bin/python bench/admin_scale.py [--jobs 1000 --runs 1000000 --log-lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (importable once ROOT is on sys.path)

TARGET_MS = 150


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--log-lines", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per page (the median is printed)")
    parser.add_argument("--database", default="jobsite_bench_admin")
    parser.add_argument("--size", type=int, help="shorthand: --runs SIZE --log-lines SIZE")
    args = parser.parse_args()
    if args.size:
        args.runs = args.log_lines = args.size
    return args


def setup_django(database: str):
    os.environ["DATABASE_URL"] = common.database_url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def execute(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def load_jobs(first: int, last: int):
    """Jobs ``first..last``; every 50th has a type that is not installed."""
    execute(
        """
        INSERT INTO jobs_job (title, description, task_type, active, default_args, queue, overlap_policy,
            missed_grace_seconds, max_retries, retry_backoff_seconds, notify_emails, notify_on,
            created_at, updated_at)
        SELECT 'Bench job ' || lpad(i::text, 5, '0'), '', CASE WHEN i %% 50 = 0 THEN 'gone_type' ELSE 'purge_runs' END,
            i %% 10 <> 0, '{"keep_days": 30}', '', 'skip', 300, 0, 60, '', '[]', now(), now()
        FROM generate_series(%s, %s) AS i
        """,
        [first, last],
    )


def load_runs(n: int, *, offset: int = 0):
    """``n`` runs spread over all jobs (created every 10 s going back), mostly successes."""
    execute(
        """
        WITH jobs AS (SELECT array_agg(id ORDER BY id) AS ids FROM jobs_job)
        INSERT INTO jobs_run (job_id, status, trigger, args, queue, task_id, created_at, started_at, finished_at,
            progress_done, progress_total, counters, errors, message, traceback, host, attempt, held,
            awaiting_children, task_name, title, then_task, then_args)
        SELECT jobs.ids[1 + (i %% array_length(jobs.ids, 1))],
            CASE WHEN i %% 50 = 0 THEN 'failed' WHEN i %% 97 = 0 THEN 'partial_success'
                 WHEN i %% 211 = 0 THEN 'cancelled' ELSE 'success' END,
            CASE WHEN i %% 7 = 0 THEN 'admin' ELSE 'schedule' END,
            '{"keep_days": 30}', 'celery', md5(i::text),
            now() - make_interval(secs => i * 10), now() - make_interval(secs => i * 10 - 1),
            now() - make_interval(secs => i * 10 - 4), 100, 100, '{"deleted": 3}', '[]',
            CASE WHEN i %% 50 = 0 THEN 'RuntimeError: boom ' || i ELSE '' END, '', 'bench-host', 0, false,
            false, '', '', '', '{}'
        FROM jobs, generate_series(%s, %s, -1) AS i
        """,
        [offset + n, offset + 1],
    )


def load_log_run(lines: int) -> int:
    from jobs.models import Job, Run

    job = Job.objects.order_by("pk").first()
    run = Run.objects.create(job=job, status=Run.Status.SUCCESS, args={"keep_days": 30}, message="many lines")
    execute(
        """
        INSERT INTO jobs_runlog (run_id, seq, created_at, level, logger, message)
        SELECT %s, i, now(), CASE WHEN i %% 1000 = 0 THEN 30 ELSE 20 END, 'bench.lines',
            'processed record ' || i || ' of the big import, all good'
        FROM generate_series(1, %s) AS i
        """,
        [run.pk, lines],
    )
    return run.pk


def measure(client, url: str, requests: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    b"".join(response.streaming_content) if response.streaming else response.content
    queries = len(ctx.captured_queries)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return queries, statistics.median(times), max(times)


def main():
    args = parse_args()
    t0 = time.perf_counter()
    common.database_create(args.database, drop=True)
    setup_django(args.database)
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    client = Client()
    client.force_login(user)
    rows = []

    small = min(100, args.jobs)
    first_runs = min(args.runs, small * 10)
    load_jobs(1, small)
    load_runs(first_runs)
    execute("ANALYZE jobs_job")
    q_small, _, _ = measure(client, "/admin/jobs/job/", 1)

    t_load = time.perf_counter()
    load_jobs(small + 1, args.jobs)
    load_runs(args.runs - first_runs, offset=first_runs)
    log_run = load_log_run(args.log_lines)
    execute("VACUUM ANALYZE jobs_job")
    execute("VACUUM ANALYZE jobs_run")
    execute("VACUUM ANALYZE jobs_runlog")
    load_seconds = time.perf_counter() - t_load

    failed_job = 2
    rare_line = max(args.log_lines // 2, 1)
    pages = [
        (f"job list ({small} jobs)", None),
        (f"job list ({args.jobs} jobs)", "/admin/jobs/job/"),
        ("job list, filter last status=failed", "/admin/jobs/job/?last_status=failed"),
        ("job list, search title", "/admin/jobs/job/?q=Bench+job+00042"),
        ("run list, unfiltered", "/admin/jobs/run/"),
        ("run list, status=failed", "/admin/jobs/run/?status__exact=failed"),
        ("run list, one job", f"/admin/jobs/run/?job={failed_job}"),
        ("run list, page 50", "/admin/jobs/run/?p=50"),
        ("run list, search job title", "/admin/jobs/run/?q=Bench+job+00042"),
        ("run list, search message (rare text)", "/admin/jobs/run/?q=boom+999950"),
        ("run list, search (no match)", "/admin/jobs/run/?q=nothing+like+this"),
        (f"run page, first log page ({args.log_lines:,} lines)", f"/admin/jobs/run/{log_run}/change/"),
        ("run page, last log page", f"/admin/jobs/run/{log_run}/change/?log_last=1"),
        ("run page, warnings only", f"/admin/jobs/run/{log_run}/change/?log_level=30"),
        ("run page, log search (rare text)", f"/admin/jobs/run/{log_run}/change/?log_q=record+{rare_line}+of"),
        ("run page, log search (no match)", f"/admin/jobs/run/{log_run}/change/?log_q=nothing+like+this"),
        ("poll JSON, new lines after N", f"/admin/jobs/run/{log_run}/status/?after={max(args.log_lines - 100, 0)}"),
    ]
    for name, url in pages:
        if url is None:
            rows.append((name, q_small, None, None))
            continue
        queries, median, worst = measure(client, url, args.requests)
        rows.append((name, queries, median, worst))

    start = time.perf_counter()
    response = client.get(f"/admin/jobs/run/{log_run}/logs.txt")
    size = sum(len(chunk) for chunk in response.streaming_content)
    download = time.perf_counter() - start

    print(f"admin_scale: {args.jobs:,} jobs, {args.runs:,} runs, {args.log_lines:,} log lines in one run "
          f"(loaded in {load_seconds:.1f} s; {args.requests} requests per page, target <= {TARGET_MS} ms)")
    print(f"{'page':<44} {'queries':>7} {'median ms':>10} {'max ms':>8}")
    for name, queries, median, worst in rows:
        if median is None:
            print(f"{name:<44} {queries:>7} {'':>10} {'':>8}")
        else:
            print(f"{name:<44} {queries:>7} {median:>10.1f} {worst:>8.1f}")
    print(f"log download: {size / 1e6:.1f} MB streamed in {download:.1f} s")
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
