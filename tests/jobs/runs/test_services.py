"""Run creation: stored, then sent on commit; rerun copies the arguments it ran with."""


import pytest

from jobs.models import Run
from jobs.runs.services import run_create, run_rerun
from tests.factories import JobFactory

Status = Run.Status


@pytest.mark.django_db
def test_run_create_enqueues_on_commit_unless_told_not_to(django_capture_on_commit_callbacks):
    job = JobFactory(task_type="test_echo")
    with django_capture_on_commit_callbacks() as callbacks:
        queued = run_create(job=job, trigger=Run.Trigger.CLI)
    assert len(callbacks) == 1 and queued.status == Status.QUEUED and queued.task_id
    with django_capture_on_commit_callbacks() as callbacks:
        local = run_create(job=job, enqueue=False)
        held = run_create(job=job, hold=True)
    assert callbacks == []
    assert local.status == Status.QUEUED and local.finished_at is None
    assert held.status == Status.QUEUED and held.held


@pytest.mark.django_db
def test_run_rerun_copies_the_arguments_it_ran_with():
    job = JobFactory(task_type="test_echo", default_args={"message": "before"})
    first = run_create(job=job, args={"lines": 7})
    Run.objects.filter(pk=first.pk).update(status=Status.FAILED)
    job.default_args = {"message": "after"}
    job.save()
    again = run_rerun(run=first, trigger=Run.Trigger.CLI)
    assert again.pk != first.pk and again.status == Status.QUEUED and again.trigger == Run.Trigger.CLI
    assert again.args == first.args == {"message": "before", "lines": 7}
    assert again.task_id != first.task_id
