"""Fixtures of the fault tests: their own PostgreSQL cluster (migrated once), Redis and worker."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from jobs.models import Run
from jobsite.processes import worker_start
from tests.conftest import ROOT, wait_for, worker_env
from tests.faults.servers import PgCluster, RedisServer, postgres_bin

DBNAME = "jobsite_faults"


class Site:
    """The environment of a site on the throwaway servers, and what the tests ask of it."""

    def __init__(self, pg: PgCluster, redis: RedisServer, var: Path):
        self.pg = pg
        self.redis = redis
        self.imports = var / "imports"  # the import folder of its vocabulary imports
        self.imports.mkdir(parents=True)
        self.env = worker_env(
            DATABASE_URL=pg.url(DBNAME), CELERY_BROKER_URL=redis.url, CELERY_TASK_DEFAULT_QUEUE="faults",
            DJANGO_SETTINGS_MODULE="tests.faults.settings", JOBSITE_VAR_DIR=str(var),
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
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.commit()
            connection.close()

    def run(self, job: str, *args: str, check: bool = True) -> tuple[int, subprocess.CompletedProcess]:
        """``manage.py jobs run JOB ARGS…``: the new run's id and the command's outcome."""
        done = self.manage("jobs", "run", job, *args, check=check)
        return int(re.search(r"run (\d+) ", done.stdout + done.stderr).group(1)), done

    def restart_postgresql_under(self, run_id: int, title: str):
        """Restart PostgreSQL under the running ``run_id``: it ends failed with the cause within 10 s (issue 13)."""
        self.pg.restart()
        status = wait_for(lambda: self.run_ended(run_id), timeout=10, message="the run's end after the restart")
        message, traceback = self.query("SELECT message, traceback FROM jobs_run WHERE id = %s", [run_id])[0]
        assert status == "failed"
        assert message.startswith(f"database connection lost during {title}: OperationalError: "), message
        assert "OperationalError" in traceback

    def run_status(self, run_id: int) -> tuple[str, str]:
        return tuple(self.query("SELECT status, message FROM jobs_run WHERE id = %s", [run_id])[0])

    def run_ended(self, run_id: int) -> str | None:
        """The run's final status, None while it is active (queued, running, cancelling)."""
        status, _ = self.run_status(run_id)
        return status if status in Run.FINAL_STATUSES else None


@pytest.fixture(scope="module")
def fault_site(tmp_path_factory):
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
        site = Site(pg, redis, tmp_path_factory.mktemp("fault-site"))
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
