"""Job writes: defaults validated by the type's schema; nothing changes on error."""


import pytest

from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Job, Run
from jobs.services import job_create, job_update
from tests.factories import UserFactory

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
