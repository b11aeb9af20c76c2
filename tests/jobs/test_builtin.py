"""The purge_runs job type, executed like any other run."""

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Job, Run, RunLog
from jobs.registry import registry
from jobs.runs.execution import run_execute
from jobs.runs.quiet import QUIET_MESSAGE
from jobs.runs.services import run_create
from tests.factories import JobFactory, RunFactory


@pytest.mark.django_db
def test_purge_job_deletes_old_runs_and_logs_and_reports_counts():
    assert registry.get("purge_runs").title == "Purge old runs and logs"
    echo = JobFactory(task_type="test_echo")
    long_ago = timezone.now() - dt.timedelta(days=40)
    old = [RunFactory(job=echo, created_at=long_ago - dt.timedelta(minutes=i)) for i in range(3)]
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=1, created_at=long_ago, level=20, logger="t", message="m") for run in old
    )
    purge = JobFactory(task_type="purge_runs")
    run = run_create(job=purge, args={"keep_days": 30, "keep_last": 1})
    assert run.args == {"keep_days": 30, "keep_last": 1}

    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    run.refresh_from_db()
    assert run.counters == {"deleted_runs": 2, "deleted_logs": 2}
    assert run.message == "deleted 2 runs and 2 log lines"
    assert list(Run.objects.filter(job=echo)) == [old[0]]  # the newest of the old ones is kept
    assert Run.objects.filter(pk=run.pk).exists()  # the purge run itself (active while purging)


@pytest.mark.django_db
def test_purge_job_defaults_and_validation():
    purge = JobFactory(task_type="purge_runs")
    assert run_create(job=purge).args == {"keep_days": 90, "keep_last": 10}
    with pytest.raises(ValueError, match="keep_days: Must be greater than or equal to 0"):
        run_create(job=purge, args={"keep_days": -1})


@pytest.mark.django_db
def test_a_reaper_run_that_found_nothing_says_so_and_one_that_did_says_what():
    reaper = Job.objects.get(task_type="reap_lost_runs")
    quiet = run_create(job=reaper, args={})
    assert run_execute(run_id=quiet.pk) == Run.Status.SUCCESS
    quiet.refresh_from_db()
    assert quiet.message == QUIET_MESSAGE

    RunFactory(status=Run.Status.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1), heartbeat_at=None)
    busy = run_create(job=reaper, args={})
    assert run_execute(run_id=busy.pk) == Run.Status.SUCCESS
    busy.refresh_from_db()
    assert busy.counters["lost"] == 1 and busy.message.startswith("1 lost, ")
