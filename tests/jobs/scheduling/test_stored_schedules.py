"""Schedules stored before the jobs/ layout moved keep firing: task names and kwargs are a contract."""

import json

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from jobs.models import Job, Run
from jobs.scheduling.beat import JobScheduler
from jobsite.celery import app
from tests.conftest import wait_for
from tests.factories import JobFactory


def _stored_before_the_move(job: Job) -> PeriodicTask:
    """The row as the pre-move code and migration 0004 wrote it (jobs.scheduling was one module then)."""
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    task = PeriodicTask.objects.create(
        name=f"Job {job.pk}: {job.title}",
        task="jobs.fire_schedule",
        kwargs=json.dumps({"job_id": job.pk}),
        interval=every,
        enabled=True,
        description=f"Schedule of job {job.pk} (edit it on the job's page).",
    )
    Job.objects.filter(pk=job.pk).update(periodic_task=task)
    return task


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_periodic_task_stored_before_the_move_fires_a_run(celery_worker):
    job = JobFactory(task_type="reap_lost_runs", title="Reap lost runs", default_args={})
    stored = _stored_before_the_move(job)
    # The scheduler of the new layout reads the stored row as a job schedule with exact due times.
    entry = JobScheduler.Entry(stored, app=app)
    assert entry.task == "jobs.fire_schedule" and entry.kwargs == {"job_id": job.pk}
    due = timezone.now().replace(microsecond=0)
    app.send_task(entry.task, args=entry.args, kwargs={**entry.kwargs, "due_at": due.isoformat()},
                  queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    run = wait_for(lambda: Run.objects.filter(job=job, due_at=due, status=Run.Status.SUCCESS).first(),
                   timeout=30, message="the stored schedule's run to succeed")
    assert run.trigger == Run.Trigger.SCHEDULE
    assert set(run.counters) >= {"lost", "reenqueued"}  # the built-in reaper, now in jobs.builtin, ran
