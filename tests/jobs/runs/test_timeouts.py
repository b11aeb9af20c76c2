"""Time limits and cancellation with a real worker: every run reaches a final status."""

import pytest
from django.db import transaction

from jobs.models import Run
from jobs.runs.cancel import run_cancel
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory

worker_db = pytest.mark.django_db(transaction=True)
pytestmark = [pytest.mark.worker, worker_db]


def _status(run, *statuses):
    run.refresh_from_db()
    return run.status in statuses


def _final(run):
    return _status(run, *Run.FINAL_STATUSES)


def test_soft_time_limit_fails_the_run_with_a_message(celery_worker):
    job = JobFactory(task_type="test_slow", soft_time_limit=1)
    run = run_create(job=job, args={"seconds": 20, "obey_cancel": False})
    wait_for(lambda: _final(run), timeout=20, message="soft time limit")
    assert run.status == Run.Status.FAILED
    assert run.message == "timed out after 1 s"


@pytest.mark.slow
def test_hard_time_limit_kills_the_task_and_fails_the_run(celery_worker):
    job = JobFactory(task_type="test_slow", time_limit=2)
    run = run_create(job=job, args={"seconds": 30, "obey_cancel": False})
    wait_for(lambda: _final(run), timeout=20, message="hard time limit")
    assert run.status == Run.Status.FAILED
    assert run.message.startswith("timed out after 2 s")
    assert (run.finished_at - run.started_at).total_seconds() < 10
    # The worker replaced the killed process and goes on working.
    after = run_create(job=JobFactory(task_type="test_echo"), args={"lines": 1})
    wait_for(lambda: _final(after), timeout=20, message="next run")
    assert after.status == Run.Status.SUCCESS


def test_cancelling_a_queued_run_never_starts_it(celery_worker):
    job = JobFactory(task_type="test_echo")
    with transaction.atomic():
        run = run_create(job=job, args={"lines": 1})
        run_cancel(run=run)
    marker = run_create(job=job, args={"lines": 1})
    wait_for(lambda: _final(marker), timeout=20, message="marker run")
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and run.started_at is None


def test_cancelling_a_running_run_that_obeys(celery_worker):
    job = JobFactory(task_type="test_slow")
    run = run_create(job=job, args={"seconds": 30, "obey_cancel": True})
    wait_for(lambda: _status(run, Run.Status.RUNNING), timeout=20, message="run to start")
    run_cancel(run=run)
    assert run.status == Run.Status.CANCELLING and run.cancel_requested_at is not None
    wait_for(lambda: _final(run), timeout=10, message="task to stop")
    assert run.status == Run.Status.CANCELLED


@pytest.mark.slow
def test_a_task_that_ignores_cancel_is_killed_after_the_grace(celery_worker, settings):
    settings.JOBS_CANCEL_GRACE_SECONDS = 2
    job = JobFactory(task_type="test_slow")
    run = run_create(job=job, args={"seconds": 60, "obey_cancel": False})
    wait_for(lambda: _status(run, Run.Status.RUNNING), timeout=20, message="run to start")
    run_cancel(run=run)
    wait_for(lambda: _final(run), timeout=20, message="grace enforcement")
    assert run.status == Run.Status.CANCELLED
    assert "terminated" in run.message
    assert (run.finished_at - run.cancel_requested_at).total_seconds() < 10
    # The process was killed: the task does not finish later and overwrite the status.
    after = run_create(job=JobFactory(task_type="test_echo"), args={"lines": 1})
    wait_for(lambda: _final(after), timeout=20, message="next run")
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED


def test_a_task_that_finishes_while_cancelling_still_ends_cancelled(celery_worker):
    job = JobFactory(task_type="test_slow")
    run = run_create(job=job, args={"seconds": 2, "obey_cancel": False})
    wait_for(lambda: _status(run, Run.Status.RUNNING), timeout=20, message="run to start")
    run_cancel(run=run)
    wait_for(lambda: _final(run), timeout=20, message="task to end")
    assert run.status == Run.Status.CANCELLED
    assert run.message == "cancelled on request; the task ended success before it stopped: slept"
