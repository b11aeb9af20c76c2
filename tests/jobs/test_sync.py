"""``manage.py jobs sync``: jobs against the installed types, schedules against their jobs."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, PeriodicTask, PeriodicTasks

from jobs.models import Job
from jobs.registry import registry
from jobs.scheduling.store import schedule_set
from jobs.services import job_update
from tests.factories import JobFactory
from tests.jobs.cli.test_jobs_command import jobs, jobs_error

pytestmark = pytest.mark.django_db


def _give_every_type_a_job():
    for type_id in registry.types:
        if not Job.objects.filter(task_type=type_id).exists():
            JobFactory(task_type=type_id)


def test_in_sync_prints_so_and_exits_0():
    _give_every_type_a_job()
    before = PeriodicTasks.last_change()
    out, _ = jobs("sync")
    assert out.strip() == "in sync: nothing to do"
    assert PeriodicTasks.last_change() == before


def test_types_without_a_job_are_listed_and_get_one_only_with_create_missing():
    _give_every_type_a_job()
    Job.objects.filter(task_type__in=["test_echo", "test_fields"]).delete()

    out, _ = jobs("sync")
    assert "job types without a job: test_echo, test_fields (--create-missing" in out
    assert not Job.objects.filter(task_type="test_echo").exists()

    error = jobs_error("sync", "--create-missing", "--dry-run")
    assert error.returncode == 2  # test_fields needs a value for ``text``: only an administrator can give it
    assert not Job.objects.filter(task_type__in=["test_echo", "test_fields"]).exists()

    out, _ = _sync_out("--create-missing")
    echo = Job.objects.get(task_type="test_echo")
    assert (echo.title, echo.description, echo.default_args, echo.active) == (
        "Echo", "Log a message a number of times.", {}, True
    )
    assert f"created job {echo.pk} (Echo) for job type 'test_echo'" in out
    assert "cannot create a job for job type 'test_fields': its arguments need values (text: Missing data" in out
    assert not Job.objects.filter(task_type="test_fields").exists()

    out, _ = _sync_out("--create-missing")
    assert "test_echo" not in out and Job.objects.filter(task_type="test_echo").count() == 1


def _sync_out(*args):
    """Run a sync that ends with exit code 2; return its (stdout, error)."""
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("jobs", "sync", *args, stdout=out, stderr=io.StringIO())
    assert info.value.returncode == 2
    return out.getvalue(), info.value


def test_dry_run_names_the_job_it_would_create_and_creates_nothing():
    _give_every_type_a_job()
    Job.objects.filter(task_type="test_echo").delete()
    out, _ = jobs("sync", "--create-missing", "--dry-run")
    assert "would create a job for job type 'test_echo'" in out and "nothing to change" not in out
    assert not Job.objects.filter(task_type="test_echo").exists()


def test_jobs_whose_type_is_not_installed_are_reported_and_kept():
    _give_every_type_a_job()
    gone = JobFactory(title="Old plugin job", task_type="gone_plugin")
    out, error = _sync_out()
    assert f"job {gone.pk} (Old plugin job): its type 'gone_plugin' is not installed; reinstall it or delete the job" in out
    assert "need an administrator" in str(error)
    assert Job.objects.filter(pk=gone.pk).exists()


def test_schedules_that_drifted_from_their_job_are_repaired():
    _give_every_type_a_job()
    job = schedule_set(job=JobFactory(title="Nightly"), every="1h")
    other = JobFactory(title="Other")
    Job.objects.filter(pk=job.pk).update(active=False, title="Nightly renamed")
    PeriodicTask.objects.filter(pk=job.periodic_task_id).update(
        kwargs=json.dumps({"job_id": other.pk}), task="tests.echo", args="[1]"
    )

    out, _ = jobs("sync", "--dry-run")
    assert f"schedule of job {job.pk} (Nightly renamed): would repair args, enabled, kwargs, name, task" in out
    task = PeriodicTask.objects.get(pk=job.periodic_task_id)
    assert task.enabled and task.task == "tests.echo"

    before = PeriodicTasks.last_change()
    out, _ = jobs("sync")
    assert f"schedule of job {job.pk} (Nightly renamed): repaired args, enabled, kwargs, name, task" in out
    task.refresh_from_db()
    assert (task.enabled, task.task, json.loads(task.kwargs), task.args, task.name) == (
        False, "jobs.fire_schedule", {"job_id": job.pk}, "[]", f"Job {job.pk}: Nightly renamed"
    )
    assert task.interval.every == 3600  # the schedule itself is kept
    assert PeriodicTasks.last_change() != before
    assert jobs("sync")[0].strip() == "in sync: nothing to do"


def test_a_paused_schedule_of_an_active_job_is_resumed_but_a_finished_one_off_is_left_done():
    _give_every_type_a_job()
    paused = schedule_set(job=JobFactory(title="Paused by hand"), every="15m")
    PeriodicTask.objects.filter(pk=paused.periodic_task_id).update(enabled=False)
    once = schedule_set(job=JobFactory(title="Once"), at="2099-12-01T03:00+01:00")
    # Beat fired it: its time is past and django-celery-beat disabled the one-off task.
    ClockedSchedule.objects.filter(pk=once.periodic_task.clocked_id).update(
        clocked_time=timezone.now() - dt.timedelta(hours=1)
    )
    PeriodicTask.objects.filter(pk=once.periodic_task_id).update(enabled=False)

    out, _ = jobs("sync")
    assert f"schedule of job {paused.pk} (Paused by hand): repaired enabled" in out
    assert "Once" not in out
    assert PeriodicTask.objects.get(pk=paused.periodic_task_id).enabled
    assert not PeriodicTask.objects.get(pk=once.periodic_task_id).enabled
    # Saving the job (the admin's path) does not revive it either.
    job_update(job=Job.objects.get(pk=once.pk), title="Once, renamed")
    assert not PeriodicTask.objects.get(pk=once.periodic_task_id).enabled


def test_schedules_of_deleted_jobs_are_removed_and_other_periodic_tasks_kept():
    _give_every_type_a_job()
    hourly = schedule_set(job=JobFactory(title="Hourly"), every="1h")
    once = schedule_set(job=JobFactory(title="Once"), at="2099-12-01T03:00+01:00")
    hourly_task, once_task = hourly.periodic_task, once.periodic_task
    Job.objects.filter(pk__in=[hourly.pk, once.pk]).delete()
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    foreign = PeriodicTask.objects.create(name="someone else's task", task="celery.backend_cleanup", interval=every)

    out, _ = jobs("sync", "--dry-run")
    assert f"would remove schedule 'Job {hourly.pk}: Hourly' (periodic task {hourly_task.pk}): it is no job's schedule" in out
    assert PeriodicTask.objects.filter(pk__in=[hourly_task.pk, once_task.pk]).count() == 2

    out, _ = jobs("sync")
    assert f"removed schedule 'Job {once.pk}: Once' (periodic task {once_task.pk})" in out
    assert not PeriodicTask.objects.filter(pk__in=[hourly_task.pk, once_task.pk]).exists()
    assert not ClockedSchedule.objects.filter(pk=once_task.clocked_id).exists()
    assert PeriodicTask.objects.filter(pk=foreign.pk).exists()
    assert jobs("sync")[0].strip() == "in sync: nothing to do"
