"""Shared helpers for the benchmark scripts in ``bench/`` (not pytest: they print figures).

A benchmark is a script ``bench/<name>.py`` with an ``if __name__ == "__main__":`` block,
run as ``.venv/bin/python bench/<name>.py [--size N] [--full]``; ``bench/run_all.py``
runs every such script in turn. Start a script with::

    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from bench import common

Helpers:

- ``arguments(description, size=, full_size=)``: parse ``--size N`` and ``--full``
  (``--full`` means ``full_size``); returns the argparse namespace with ``.size`` set.
- ``django_setup(db_name, **env)``: point this process at its own PostgreSQL database
  ``db_name`` (created if missing, then migrated), Redis, and a queue of its own, then
  ``django.setup()``. Returns the environment dict, to hand to subprocesses.
- ``bench_env(db_name, **env)``: that environment without touching this process.
  ``JOBS_EXTRA_TYPES`` always includes the bench job types of ``bench/benchtasks.py``
  (``bench_noop``, ``bench_log``); pass ``extra_types="id=module:Class,..."`` for more.
- ``database_url(name)``: its ``DATABASE_URL`` on the bench server (``BENCH_PG*``).
- ``database_create(name, drop=False)``: ``CREATE DATABASE`` on the local server unless it
  exists (``drop=True``: drop it first). The one database creator of every bench script.
- ``database_migrate(env)``: ``manage.py migrate`` in a subprocess with ``env``.
- ``tables_truncate(*tables)``: empty tables of the bench database between phases.
- ``Worker(env, concurrency=2, pool="prefork", loglevel="WARNING")``: a ``celery worker``
  subprocess on the bench queue (also imports ``bench.benchtasks``), started by
  ``jobsite.processes.worker_start`` (shared with the tests); a context manager,
  ``.check()`` raises if it exited, ``.stop()`` terminates it; its output goes to
  ``var/bench/<queue>.log``.
- ``queue_purge(env)``: delete the bench queue from Redis.
- ``percentile(values, p)``, ``median(values)``.
- ``machine_load()``: ``"load 1.23 0.98 0.50 (2 cores)"``, to print next to figures.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jobsite.processes import CeleryProcess, worker_start  # noqa: E402  (importable once ROOT is on sys.path)

PG = {"host": os.environ.get("BENCH_PGHOST", "127.0.0.1"), "port": int(os.environ.get("BENCH_PGPORT", "5432")),
      "user": os.environ.get("BENCH_PGUSER", "postgres")}
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_TYPES = "bench_noop=bench.benchtasks:Noop,bench_log=bench.benchtasks:LogLines"


def arguments(description: str, *, size: int, full_size: int, argv=None) -> argparse.Namespace:
    """Parse ``--size N`` (default ``size``) and ``--full`` (``full_size``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=int, default=None, help=f"how many (default {size}, --full {full_size})")
    parser.add_argument("--full", action="store_true", help=f"full size ({full_size})")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = full_size if args.full else size
    return args


def bench_env(db_name: str, *, extra_types: str = "", **extra) -> dict:
    """Environment for a bench process (this one or a worker) on its own database and queue."""
    env = dict(os.environ)
    types = ",".join(t for t in (BENCH_TYPES, extra_types) if t)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url(db_name),
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_RESULT_BACKEND="django-db",
        CELERY_TASK_DEFAULT_QUEUE=env.get("BENCH_QUEUE") or f"jobsite-bench-{os.getpid()}",
        JOBS_EXTRA_TYPES=types,
        JOBSITE_VAR_DIR=str(ROOT / "var"),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def database_url(name: str) -> str:
    """``DATABASE_URL`` of the database ``name`` on the bench PostgreSQL server."""
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def database_create(name: str, *, drop: bool = False):
    """Create the database ``name`` on the local PostgreSQL server unless it exists."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def database_migrate(env: dict):
    """Apply the migrations to the database of ``env`` in a ``manage.py migrate`` subprocess."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)


def django_setup(db_name: str, *, migrate: bool = True, **extra) -> dict:
    """Configure this process for ``db_name`` (created and migrated), then ``django.setup()``."""
    env = bench_env(db_name, **extra)
    os.environ.update(env)
    database_create(db_name)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    return env


def tables_truncate(*tables: str):
    """Empty ``tables`` (and what references them) in the current database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def Worker(env: dict, *, concurrency: int = 2, pool: str = "prefork", loglevel: str = "WARNING",  # noqa: N802
           prefetch_multiplier: int = 1, extra_args=()) -> CeleryProcess:
    """A ``celery worker`` on the bench queue of ``env`` (not waited for: "ready." is logged at INFO)."""
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    return worker_start(
        env=env, log_path=ROOT / "var" / "bench" / f"{queue}.log", queue=queue, concurrency=concurrency, pool=pool,
        loglevel=loglevel, name=f"{queue}@%h", wait_ready=False,
        extra_args=[f"--prefetch-multiplier={prefetch_multiplier}", "-I", "bench.benchtasks", *extra_args],
    )


def queue_purge(env: dict):
    """Delete the bench queue (and its unacked leftovers' list) from Redis."""
    import redis

    client = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    client.delete(env["CELERY_TASK_DEFAULT_QUEUE"])


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition", check=None):
    """Poll ``predicate`` until truthy; raise ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if check is not None:
            check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def percentile(values, p: float) -> float:
    """The ``p``-th percentile (0..100) of ``values``, linearly interpolated."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def median(values) -> float:
    return percentile(values, 50)


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"
