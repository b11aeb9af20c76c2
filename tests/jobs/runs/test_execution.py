"""Runs crossing a real Celery worker on Redis, and in-process execution."""

import pytest
from django.db import transaction

from jobs.models import Run, RunLog
from jobs.runs.dispatch import run_enqueue
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory

worker_db = pytest.mark.django_db(transaction=True)


def _final(run):
    run.refresh_from_db()
    return run.status in Run.FINAL_STATUSES


@pytest.mark.worker
@worker_db
def test_run_crosses_worker_and_stores_logs_in_order(celery_worker):
    # More lines than two batches (JOBS_RUN_LOG_BATCH_SIZE=5000): the worker stores them
    # through its log writer process.
    lines = 12_000
    job = JobFactory(task_type="test_echo")
    with transaction.atomic():
        run = run_create(job=job, args={"message": "hi", "lines": lines})
        assert Run.objects.get(pk=run.pk).status == Run.Status.QUEUED
    wait_for(lambda: _final(run), message="run to finish")
    assert run.status == Run.Status.SUCCESS
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert run.host
    assert run.progress_done == lines and run.progress_total == lines
    messages = list(RunLog.objects.filter(run=run).order_by("seq").values_list("message", flat=True))
    echoed = [m for m in messages if m.startswith("line ")]
    assert echoed == [f"line {i}: hi" for i in range(lines)]
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


@worker_db
def test_shared_monitor_writes_progress_and_heartbeat_of_running_runs(settings):
    from jobs.runs.context import RunHandle
    from jobs.runs.execution import RunMonitor

    settings.JOBS_HEARTBEAT_SECONDS = 0.2
    settings.JOBS_PROGRESS_FLUSH_SECONDS = 0.1
    job = JobFactory(task_type="test_echo")
    run = Run.objects.create(job=job, status=Run.Status.RUNNING)
    monitor = RunMonitor.shared()
    assert RunMonitor.shared() is monitor
    handle = RunHandle(run.pk)
    monitor.watch(run.pk, handle)
    try:
        handle.progress(3, 10)
        handle.count("created", 2)
        wait_for(lambda: Run.objects.filter(pk=run.pk, progress_done=3, progress_total=10).exists(), timeout=5)
        wait_for(lambda: Run.objects.get(pk=run.pk).heartbeat_at is not None, timeout=5)
        assert Run.objects.get(pk=run.pk).counters == {"created": 2}
    finally:
        monitor.unwatch(run.pk)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCESS)


@worker_db
def test_in_process_run_in_autocommit_stores_logs_and_ends():
    job = JobFactory(task_type="test_echo")
    run = Run.objects.create(job=job, status=Run.Status.QUEUED, args={"message": "x", "lines": 4})
    assert run_execute(run_id=run.pk) == Run.Status.SUCCESS
    run.refresh_from_db()
    assert run.started_at and run.finished_at and run.host
    assert run.progress_done == 4
    assert list(RunLog.objects.filter(run=run, message__startswith="line ").values_list("message", flat=True)) == [
        f"line {i}: x" for i in range(4)
    ]
