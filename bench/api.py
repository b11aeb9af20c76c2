"""The HTTP API at scale: server time of run lists, a run's detail and a log page; runs created per second.

Creates its own database (``jobsite_bench_api``), bulk-loads 1,000 jobs, ``--runs`` runs
and one run with ``--log-lines`` lines the way ``bench/admin_scale.py`` does, then
requests the API in-process (Django's test client, an API token) and prints the median
and p99 server time of each request. Then it starts gunicorn on the same database and
has 8 concurrent clients ``POST /api/v1/jobs/<id>/runs/`` for ``--seconds`` and prints
the runs created per second (the runs go to a Redis queue of their own, purged after;
no worker runs them). Prints figures, asserts nothing.

    .venv/bin/python bench/api.py [--runs 1000000] [--full] [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.admin_scale import execute, load_jobs, load_log_run, load_runs, setup_django  # noqa: E402

DATABASE = "jobsite_bench_api"
TARGET_MS = 50
DEFAULT_RUNS, FULL_RUNS = 100_000, 1_000_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, help=f"runs to load (default {DEFAULT_RUNS:,}; --full {FULL_RUNS:,})")
    parser.add_argument("--log-lines", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help=f"{FULL_RUNS:,} runs")
    parser.add_argument("--requests", type=int, default=100, help="requests per endpoint (median and p99 of them)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients creating runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the clients create runs")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args()
    if args.runs is None:
        args.runs = FULL_RUNS if args.full else DEFAULT_RUNS
    return args


def timed(client, url: str, requests: int, headers: dict) -> list[float]:
    first = client.get(url, headers=headers)
    if first.status_code != 200:
        raise SystemExit(f"{url} answered {first.status_code}: {first.content[:300]!r}")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        _ = response.content
        times.append((time.perf_counter() - start) * 1000)
    return times


def page_url(client, url: str, pages: int, headers: dict) -> str:
    """The URL of page ``pages`` of a cursor list, following ``next`` links."""
    for _ in range(pages - 1):
        url = client.get(url, headers=headers).json()["next"]
    return url.replace("http://testserver", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(env: dict, port: int, workers: int) -> subprocess.Popen:
    log = (ROOT / "var" / "bench").resolve()
    log.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "jobsite.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--preload", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(log / "api-gunicorn.log").open("w"),
    )
    common.wait_until(lambda: _listening(port), timeout=60, what="gunicorn", check=lambda: _alive(proc))
    return proc


def warm_up(url: str, secret: str, workers: int):
    """A few requests per worker first: each opens its database and broker connections."""
    import requests

    def get():
        requests.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=120)

    threads = [threading.Thread(target=get) for _ in range(workers * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(proc):
    if proc.poll() is not None:
        raise RuntimeError(f"gunicorn exited ({proc.returncode}); see var/bench/api-gunicorn.log")


def trigger_throughput(url: str, secret: str, clients: int, seconds: float):
    """``clients`` threads POST runs for ``seconds``; returns (created, elapsed, latencies ms, errors)."""
    import requests

    latencies, errors, lock = [], [], threading.Lock()
    start_at = threading.Barrier(clients + 1)
    stop = [0.0]

    def client():
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {secret}"
        start_at.wait()
        while time.monotonic() < stop[0]:
            began = time.perf_counter()
            response = session.post(url, json={"args": {"keep_days": 30}}, timeout=30)
            took = (time.perf_counter() - began) * 1000
            with lock:
                (latencies if response.status_code == 201 else errors).append(took if response.status_code == 201
                                                                                else response.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    stop[0] = time.monotonic() + seconds
    began = time.monotonic()
    start_at.wait()
    for thread in threads:
        thread.join()
    return len(latencies), time.monotonic() - began, latencies, errors


def main():
    args = parse_args()
    t0 = time.perf_counter()
    queue = f"jobsite-bench-api-{os.getpid()}"
    os.environ.update(
        JOBSITE_API_THROTTLE_RATE="100000000/min", CELERY_BROKER_URL=common.REDIS_URL, CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="jobsite.settings", JOBSITE_VAR_DIR=str(ROOT / "var"),
    )
    common.database_create(DATABASE, drop=True)
    setup_django(DATABASE)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from jobs.api.tokens import token_create
    from jobs.models import Job

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    _, secret = token_create(user=user, name="bench")
    headers = {"Authorization": f"Bearer {secret}"}

    t_load = time.perf_counter()
    load_jobs(1, args.jobs)
    load_runs(args.runs)
    log_run = load_log_run(args.log_lines)
    for table in ("jobs_job", "jobs_run", "jobs_runlog"):
        execute(f"VACUUM ANALYZE {table}")
    load_seconds = time.perf_counter() - t_load

    client = Client()
    busy_job = 2
    endpoints = [
        ("run list, first page", "/api/v1/runs/"),
        ("run list, status=failed", "/api/v1/runs/?status=failed"),
        ("run list, one job + status", f"/api/v1/runs/?job={busy_job}&status=success"),
        ("run list, page 50 by cursor", page_url(client, "/api/v1/runs/", 50, headers)),
        ("run detail", f"/api/v1/runs/{log_run - 1}/"),
        (f"log page ({args.log_lines:,} lines), first", f"/api/v1/runs/{log_run}/logs/"),
        ("log page, last", f"/api/v1/runs/{log_run}/logs/?last=true"),
        ("log page, warnings only", f"/api/v1/runs/{log_run}/logs/?level=WARNING"),
        ("job list", "/api/v1/jobs/"),
    ]
    rows = [(name, timed(client, url, args.requests, headers)) for name, url in endpoints]

    env = dict(os.environ, DATABASE_URL=common.database_url(DATABASE), DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    port = free_port()
    job_id = Job.objects.filter(task_type="purge_runs").order_by("pk").values_list("pk", flat=True).first()
    server = gunicorn_start(env, port, args.workers)
    try:
        warm_up(f"http://127.0.0.1:{port}/api/v1/runs/{log_run}/", secret, args.workers)
        created, elapsed, latencies, errors = trigger_throughput(
            f"http://127.0.0.1:{port}/api/v1/jobs/{job_id}/runs/", secret, args.clients, args.seconds
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        common.queue_purge({"CELERY_BROKER_URL": common.REDIS_URL, "CELERY_TASK_DEFAULT_QUEUE": queue})

    print(f"api: {args.jobs:,} jobs, {args.runs:,} runs, {args.log_lines:,} log lines in one run "
          f"(loaded in {load_seconds:.1f} s; {args.requests} requests each, in-process, target median <= {TARGET_MS} ms)")
    print(f"{'request':<40} {'median ms':>10} {'p99 ms':>8}")
    for name, times in rows:
        print(f"{name:<40} {common.median(times):>10.1f} {common.percentile(times, 99):>8.1f}")
    print(f"POST /api/v1/jobs/{{id}}/runs/: {args.clients} clients, gunicorn {args.workers} workers, {elapsed:.1f} s: "
          f"{created:,} runs created, {created / elapsed:.0f} runs/s, latency median {common.median(latencies):.1f} ms "
          f"p99 {common.percentile(latencies, 99):.1f} ms, {len(errors)} errors {sorted(set(errors))[:5]}")
    print(common.machine_load())
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
