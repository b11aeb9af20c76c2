"""Faults on real servers: PostgreSQL and Redis restarted under a running site, a run that hangs."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for
from tests.jobs.scheduling.beatproc import Beat

pytestmark = [pytest.mark.faults, pytest.mark.slow]

EXIT_BROKER_DOWN = 5


def _queue_echo(site, *, check=True) -> tuple[int, object]:
    return site.run("test_echo", "--arg", "lines=2", check=check)


def test_postgresql_restart_under_an_idle_worker_heals_without_a_worker_restart(fault_site, fault_worker):
    first, _ = _queue_echo(fault_site)
    assert wait_for(lambda: fault_site.run_ended(first), timeout=30, message="the first run") == "success"

    fault_site.pg.restart()

    second, _ = _queue_echo(fault_site)
    assert wait_for(lambda: fault_site.run_ended(second), timeout=10, message="the run after the restart") == "success"
    assert fault_worker.proc.poll() is None


def test_a_run_started_while_redis_is_down_is_sent_once_when_it_is_back(fault_site, fault_worker):
    fault_site.redis.stop()
    try:
        run_id, done = _queue_echo(fault_site, check=False)
        assert done.returncode == EXIT_BROKER_DOWN, done.stderr
        assert fault_site.run_status(run_id) == ("queued", "waiting for the broker")
    finally:
        fault_site.redis.start()
    assert wait_for(lambda: fault_site.run_ended(run_id), timeout=10, message="the run after Redis came back") == "success"
    lines = fault_site.query("SELECT message FROM jobs_runlog WHERE run_id = %s ORDER BY seq", [run_id])
    assert [m for (m,) in lines if m.startswith("run_started")] and len(lines) == 3  # executed exactly once
    assert fault_site.query("SELECT count(*) FROM jobs_run WHERE id >= %s", [run_id]) == [(1,)]


def test_a_run_that_loses_its_database_ends_failed_with_the_cause_once_it_is_back(fault_site, fault_worker):
    run_id, _ = fault_site.run("test_slow", "--arg", "seconds=60")
    wait_for(lambda: fault_site.run_status(run_id)[0] == "running", timeout=30, message="the run to start")

    fault_site.restart_postgresql_under(run_id, "Slow")

    assert fault_worker.proc.poll() is None


def test_a_run_that_logs_and_hangs_shows_its_lines_within_two_seconds(fault_site, fault_worker):
    run_id, _ = fault_site.run("test_slow", "--arg", "seconds=60")
    wait_for(lambda: fault_site.run_status(run_id)[0] == "running", timeout=30, message="the run to start")
    try:
        # Its one line ("run_started"), then it sleeps: the line is stored by the flusher, not at the end.
        lines = "SELECT message FROM jobs_runlog WHERE run_id = %s"
        wait_for(lambda: fault_site.query(lines, [run_id]), timeout=2, message="the hanging run's line")
    finally:
        fault_site.manage("jobs", "cancel", str(run_id))
    assert wait_for(lambda: fault_site.run_ended(run_id), timeout=10, message="the cancelled run") == "cancelled"


def test_beat_and_worker_keep_firing_a_schedule_across_a_postgresql_restart(fault_site, fault_worker, tmp_path):
    first, _ = _queue_echo(fault_site)
    wait_for(lambda: fault_site.run_ended(first), timeout=30, message="the job's first run")
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
