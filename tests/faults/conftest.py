"""Fixtures of the fault tests: their own PostgreSQL cluster (migrated once), Redis and worker."""

from __future__ import annotations

import shutil
import subprocess
import sys

import psycopg2
import pytest

from jobsite.processes import worker_start
from tests.conftest import ROOT, worker_env
from tests.faults.servers import PgCluster, RedisServer, postgres_bin

DBNAME = "jobsite_faults"


class Site:
    """The environment of a site on the throwaway servers, and what the tests ask of it."""

    def __init__(self, pg: PgCluster, redis: RedisServer):
        self.pg = pg
        self.redis = redis
        self.env = worker_env(
            DATABASE_URL=pg.url(DBNAME), CELERY_BROKER_URL=redis.url, CELERY_TASK_DEFAULT_QUEUE="faults",
        )

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            check=check, timeout=120,
        )

    def query(self, sql: str, params=()):
        """Rows of ``sql`` on a new connection (none is kept across a restart)."""
        connection = psycopg2.connect(host="127.0.0.1", port=self.pg.port, user="postgres", dbname=DBNAME)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def run_status(self, run_id: int) -> tuple[str, str]:
        return tuple(self.query("SELECT status, message FROM jobs_run WHERE id = %s", [run_id])[0])


@pytest.fixture(scope="module")
def fault_site():
    """The servers live as long as the module's tests, so nothing idles beside the rest of the suite."""
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.skip("needs PostgreSQL's server binaries and redis-server")
    pg, redis = PgCluster(), RedisServer()
    try:
        pg.start()
        redis.start()
        connection = psycopg2.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DBNAME}")
        connection.close()
        site = Site(pg, redis)
        site.manage("migrate", "--no-input")
        yield site
    finally:
        redis.stop()
        pg.destroy()


@pytest.fixture
def fault_worker(fault_site, tmp_path):
    """One prefork worker process (so a second task lands on the connection of the first)."""
    worker = worker_start(env=fault_site.env, log_path=tmp_path / "worker.log", concurrency=1)
    yield worker
    worker.stop()
