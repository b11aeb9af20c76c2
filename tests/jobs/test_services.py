"""Job writes: defaults validated by the type's schema; nothing changes on error; delete refused while busy."""


import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from jobs.exceptions import ArgumentsInvalid, JobBusy, JobTypeUnavailable
from jobs.models import Job, Run, RunLog
from jobs.scheduling.store import schedule_set
from jobs.services import job_create, job_delete, job_update
from tests.factories import JobFactory, RunFactory, UserFactory

Status = Run.Status


@pytest.mark.django_db
def test_job_create_and_update_validate_defaults_and_change_nothing_on_error():
    user = UserFactory()
    job = job_create(title="Echo", task_type="test_echo", default_args={"lines": "2"}, user=user, queue="slow")
    assert job.default_args == {"lines": 2} and job.created_by == user and job.effective_queue == "slow"
    with pytest.raises(ArgumentsInvalid):
        job_create(title="Bad", task_type="test_echo", default_args={"lines": "many"})
    with pytest.raises(TypeError, match="unknown job settings"):
        job_create(title="Bad", task_type="test_echo", colour="red")
    with pytest.raises(JobTypeUnavailable):
        job_create(title="Bad", task_type="nope")
    assert list(Job.objects.filter(task_type="test_echo")) == [job]

    with pytest.raises(ArgumentsInvalid):
        job_update(job=job, default_args={"lines": "many"}, title="Renamed")
    job.refresh_from_db()
    assert job.title == "Echo" and job.default_args == {"lines": 2}
    job_update(job=job, default_args={"message": "m"}, title="Renamed")
    job.refresh_from_db()
    assert job.title == "Renamed" and job.default_args == {"message": "m"}


@pytest.mark.django_db
def test_job_delete_refuses_a_busy_job_and_removes_schedule_runs_and_logs():
    job = JobFactory()
    schedule_set(job=job, every="1h")
    run = RunFactory(job=job, status=Run.Status.CANCELLING)
    RunLog.objects.create(run=run, seq=0, created_at=timezone.now(), level=20, logger="t", message="m")
    with pytest.raises(JobBusy):
        job_delete(job=job)
    assert Job.objects.filter(pk=job.pk).exists() and PeriodicTask.objects.filter(job__pk=job.pk).exists()
    Run.objects.filter(pk=run.pk).update(status=Run.Status.CANCELLED)
    task_id = Job.objects.get(pk=job.pk).periodic_task_id
    job_delete(job=job)
    assert not Job.objects.filter(pk=job.pk).exists() and not Run.objects.filter(pk=run.pk).exists()
    assert not RunLog.objects.filter(run_id=run.pk).exists() and not PeriodicTask.objects.filter(pk=task_id).exists()
