"""Faults on real servers: PostgreSQL and Redis restarted under a running site."""

from __future__ import annotations

import re

import pytest

from tests.conftest import wait_for
from tests.jobs.scheduling.beatproc import Beat

pytestmark = [pytest.mark.faults, pytest.mark.slow]

EXIT_BROKER_DOWN = 5


def _queue_echo(site, *, check=True) -> tuple[int, object]:
    done = site.manage("jobs", "run", "test_echo", "--arg", "lines=2", check=check)
    run_id = int(re.search(r"run (\d+) ", done.stdout + done.stderr).group(1))
    return run_id, done


def _ended(site, run_id):
    status, message = site.run_status(run_id)
    return status if status not in ("queued", "running") else None


def test_postgresql_restart_under_an_idle_worker_heals_without_a_worker_restart(fault_site, fault_worker):
    first, _ = _queue_echo(fault_site)
    assert wait_for(lambda: _ended(fault_site, first), timeout=30, message="the first run") == "success"

    fault_site.pg.restart()

    second, _ = _queue_echo(fault_site)
    assert wait_for(lambda: _ended(fault_site, second), timeout=30, message="the run after the restart") == "success"
    assert fault_worker.proc.poll() is None


def test_a_run_started_while_redis_is_down_is_sent_once_when_it_is_back(fault_site, fault_worker):
    fault_site.redis.stop()
    try:
        run_id, done = _queue_echo(fault_site, check=False)
        assert done.returncode == EXIT_BROKER_DOWN, done.stderr
        assert fault_site.run_status(run_id) == ("queued", "waiting for the broker")
    finally:
        fault_site.redis.start()
    assert wait_for(lambda: _ended(fault_site, run_id), timeout=30, message="the run after Redis came back") == "success"
    lines = fault_site.query("SELECT message FROM jobs_runlog WHERE run_id = %s ORDER BY seq", [run_id])
    assert [m for (m,) in lines if m.startswith("run_started")] and len(lines) == 3  # executed exactly once
    assert fault_site.query("SELECT count(*) FROM jobs_run WHERE id >= %s", [run_id]) == [(1,)]


def test_a_run_that_loses_its_database_ends_failed_with_the_cause_once_it_is_back(fault_site, fault_worker):
    done = fault_site.manage("jobs", "run", "test_slow", "--arg", "seconds=60")
    run_id = int(re.search(r"run (\d+) ", done.stdout).group(1))
    wait_for(lambda: fault_site.run_status(run_id)[0] == "running", timeout=30, message="the run to start")

    fault_site.pg.restart()

    status = wait_for(lambda: _ended(fault_site, run_id), timeout=30, message="the run's end after the restart")
    message, traceback = fault_site.query("SELECT message, traceback FROM jobs_run WHERE id = %s", [run_id])[0]
    assert status == "failed"
    assert message.startswith("database connection lost during Slow: OperationalError"), message
    assert "OperationalError" in traceback
    assert fault_worker.proc.poll() is None


def test_beat_and_worker_keep_firing_a_schedule_across_a_postgresql_restart(fault_site, fault_worker, tmp_path):
    first, _ = _queue_echo(fault_site)
    wait_for(lambda: _ended(fault_site, first), timeout=30, message="the job's first run")
    (job_id,) = fault_site.query("SELECT job_id FROM jobs_run WHERE id = %s", [first])[0]
    fault_site.manage("jobs", "schedule", str(job_id), "--every", "1s")
    beat = Beat(tmp_path, env=fault_site.env)
    try:
        scheduled = "SELECT count(*) FROM jobs_run WHERE job_id = %s AND trigger = 'schedule' AND status = 'success'"
        wait_for(lambda: fault_site.query(scheduled, [job_id])[0][0] > 0, timeout=30, message="a scheduled run")

        fault_site.pg.restart()
        (restarted,) = fault_site.query("SELECT now()")[0]

        after = scheduled + " AND created_at > %s"
        wait_for(lambda: fault_site.query(after, [job_id, restarted])[0][0] > 0, timeout=30,
                 message="a scheduled run after the restart")
        assert beat.process.proc.poll() is None and fault_worker.proc.poll() is None
    finally:
        beat.stop()
        fault_site.manage("jobs", "schedule", str(job_id), "--off")
