"""Smoke test of the embedded defaults: SQLite (WAL) and the filesystem broker, no server at all.

Every process is a real subprocess with ``jobsite.settings`` and neither ``DATABASE_URL``
nor ``CELERY_BROKER_URL``: migrate, create the demo jobs, start a worker, run a job from
the command line and wait for it.
"""

import os
import sqlite3
import subprocess
import sys

import pytest

from jobsite.processes import worker_start
from tests.conftest import ROOT

pytestmark = pytest.mark.worker


@pytest.fixture
def embedded_env(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "CELERY_", "JOBS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="jobsite.settings",
        JOBSITE_VAR_DIR=str(tmp_path),
        JOBS_EXTRA_TYPES="test_echo=tests.jobtypes:Echo",
        PYTHONPATH=str(ROOT),
        # Worker only: the default queue, named so that the shared Worker helper can pass -Q.
        CELERY_TASK_DEFAULT_QUEUE="celery",
    )
    return env


def manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_run_waits_for_a_worker_on_sqlite_and_the_filesystem_broker(embedded_env, tmp_path):
    done = manage(embedded_env, "migrate", "--no-input", "-v0")
    assert done.returncode == 0, done.stderr
    done = manage(embedded_env, "jobsite_demo")
    assert done.returncode == 0, done.stderr
    assert "demo job" in done.stdout and "Echo" in done.stdout
    database = tmp_path / "jobsite.sqlite3"
    assert database.exists()
    # Settings create no folder; the Celery app creates the broker's when it is configured.
    assert not (tmp_path / "broker").exists()

    worker = worker_start(concurrency=2, log_path=tmp_path / "worker.log", env=embedded_env)
    try:
        done = manage(embedded_env, "jobs", "run", "test_echo", "--arg", "message=x", "--wait", "--timeout", "60")
    finally:
        worker.stop()
    log = (tmp_path / "worker.log").read_text()
    assert (tmp_path / "broker" / "queue").is_dir()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{log[-3000:]}"
    assert "line 2: x" in done.stdout and "success" in done.stdout
    assert "Traceback" not in done.stderr and "No hostname was supplied" not in done.stderr

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        runs = db.execute("SELECT r.id, r.status, r.trigger FROM jobs_run r JOIN jobs_job j ON j.id = r.job_id "
                          "WHERE j.task_type = 'test_echo'").fetchall()
        assert [(status, trigger) for _, status, trigger in runs] == [("success", "cli")]
        lines = [m for (m,) in db.execute("SELECT message FROM jobs_runlog WHERE run_id = ? ORDER BY seq", (runs[0][0],))]
    assert [m for m in lines if m.startswith("line ")] == ["line 0: x", "line 1: x", "line 2: x"]
