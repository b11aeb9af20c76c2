"""Runs crossing a real Celery worker on Redis, and in-process execution."""

import pytest
from django.db import transaction

from jobs.execution import run_execute
from jobs.models import Run, RunLog
from jobs.services import run_create, run_enqueue
from tests.conftest import wait_for
from tests.factories import JobFactory

worker_db = pytest.mark.django_db(transaction=True)


def _final(run):
    run.refresh_from_db()
    return run.status in Run.FINAL_STATUSES


@pytest.mark.worker
@worker_db
def test_run_crosses_worker_and_stores_logs_in_order(celery_worker):
    job = JobFactory(task_type="test_echo")
    with transaction.atomic():
        run = run_create(job=job, args={"message": "hi", "lines": 50})
        assert Run.objects.get(pk=run.pk).status == Run.Status.QUEUED
    wait_for(lambda: _final(run), message="run to finish")
    assert run.status == Run.Status.SUCCESS
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert run.host
    assert run.progress_done == 50 and run.progress_total == 50
    messages = list(RunLog.objects.filter(run=run).order_by("seq").values_list("message", flat=True))
    echoed = [m for m in messages if m.startswith("line ")]
    assert echoed == [f"line {i}: hi" for i in range(50)]
    seqs = list(RunLog.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.worker
@worker_db
def test_failure_records_class_message_and_traceback(celery_worker):
    job = JobFactory(task_type="test_fail")
    run = run_create(job=job, args={"reason": "disk on fire"})
    wait_for(lambda: _final(run), message="run to fail")
    assert run.status == Run.Status.FAILED
    assert run.message == "RuntimeError: disk on fire"
    assert "Traceback (most recent call last)" in run.traceback
    assert 'raise RuntimeError(reason)' in run.traceback
    assert RunLog.objects.filter(run=run, message="about to fail").exists()


@pytest.mark.worker
@worker_db
def test_redelivered_message_does_not_run_twice(celery_worker):
    job = JobFactory(task_type="test_echo")
    run = run_create(job=job, args={"lines": 1})
    wait_for(lambda: _final(run), message="first delivery")
    first_finished = run.finished_at
    logs_before = RunLog.objects.filter(run=run).count()
    # The broker delivers the same message again (as after a lost ack).
    run_enqueue(run=run)
    run_enqueue(run=run)
    marker = run_create(job=job, args={"lines": 1})  # queued behind the duplicates
    wait_for(lambda: _final(marker), message="marker run")
    run.refresh_from_db()
    assert run.finished_at == first_finished
    assert RunLog.objects.filter(run=run).count() == logs_before


@pytest.mark.django_db
def test_partial_success_from_errored_entries():
    job = JobFactory(task_type="test_partial")
    run = run_create(job=job, args={"bad": 2, "good": 3})
    assert run_execute(run_id=run.pk) == Run.Status.PARTIAL_SUCCESS
    run.refresh_from_db()
    assert run.counters == {"created": 3, "errored": 2}
    assert run.errors == [{"id": "entry-0", "reason": "not valid"}, {"id": "entry-1", "reason": "not valid"}]


@pytest.mark.django_db
def test_second_execute_of_same_run_is_a_noop():
    job = JobFactory(task_type="test_echo")
    run = run_create(job=job, args={"lines": 2})
    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    assert run_execute(run_id=run.pk) is None
    assert RunLog.objects.filter(run=run, message__startswith="line ").count() == 2
